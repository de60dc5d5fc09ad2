import Foundation
import MeshConfig
import MeshControl
import MeshTestSupport
import MeshTopology
import Testing

/// The control plane's Toxiproxy API: one proxy per service, toxics that are link faults
/// from every caller (carried by the snapshots like every fault), a disabled proxy a
/// partition of every caller; Toxiproxy's shapes and status codes; what meshbed cannot do
/// (create, move or delete a proxy) refused.
@Suite struct ToxiproxyAPITests {
    static func call(_ control: ControlPlane, _ method: String, _ path: String, _ json: String? = nil) throws -> (status: Int, body: String) {
        let response = try TestHTTPClient.request(control, method, path, body: json.map { Array($0.utf8) })
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    static func object(_ body: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
    }

    static func faults(_ control: ControlPlane) -> [FaultConfig] {
        control.currentSnapshot().faults ?? []
    }

    @Test func versionAndOneProxyPerService() throws {
        try withControlPlane { control in
            try ratingsA.heartbeat(control)
            try ratingsB.heartbeat(control)
            #expect(try Self.call(control, "GET", "/version").body == #"{"version":"2.6.0+meshbed"}"# + "\n")
            let proxies = try Self.object(try Self.call(control, "GET", "/proxies").body)
            #expect(Set(proxies.keys) == ["productpage", "details", "reviews", "ratings"])
            let ratings = try #require(proxies["ratings"] as? [String: Any])
            #expect(ratings["name"] as? String == "ratings" && ratings["upstream"] as? String == "ratings")
            #expect(ratings["listen"] as? String == "127.0.0.1:20006,127.0.0.1:20007")
            #expect(ratings["enabled"] as? Bool == true && (ratings["toxics"] as? [Any])?.isEmpty == true)
            #expect(try Self.call(control, "GET", "/proxies/details").status == 200)
        }
    }

    @Test func aToxicIsALinkFaultFromEveryCaller() throws {
        try withControlPlane { control in
            let added = try Self.call(control, "POST", "/proxies/ratings/toxics",
                                      #"{"name": "slow", "type": "latency", "stream": "downstream", "toxicity": 1.0, "attributes": {"latency": 100, "jitter": 10}}"#)
            #expect(added.status == 200)
            #expect(added.body == #"{"attributes":{"jitter":10,"latency":100},"name":"slow","stream":"downstream","toxicity":1,"type":"latency"}"# + "\n")
            let fault = try #require(Self.faults(control).first)
            #expect(fault.id == "f1" && fault.name == "slow" && fault.kind == "latency" && fault.to == "ratings" && fault.from == nil)
            #expect(fault.latency == "100ms" && fault.jitter == "10ms" && fault.direction == "downstream" && fault.toxicity == 1)

            // Defaults: stream downstream, toxicity 1, name TYPE_STREAM.
            let defaulted = try Self.call(control, "POST", "/proxies/ratings/toxics", #"{"type": "bandwidth", "attributes": {"rate": 64}}"#)
            #expect(defaulted.body.contains(#""name":"bandwidth_downstream""#))
            #expect(Self.faults(control).last?.rate == 64_000)
            #expect(try Self.call(control, "POST", "/proxies/ratings/toxics", #"{"type": "bandwidth", "attributes": {"rate": 8}}"#).status == 409)

            let list = try Self.call(control, "GET", "/proxies/ratings/toxics")
            #expect(list.body.hasPrefix(#"[{"attributes":{"jitter":10,"latency":100},"name":"slow""#))
            #expect(try Self.call(control, "GET", "/proxies/ratings/toxics/slow").status == 200)
            #expect(try Self.call(control, "GET", "/proxies/details/toxics").body == "[]\n")

            // An update keeps the fault's id (the sidecars swap the toxic in place) and merges attributes.
            let updated = try Self.call(control, "PATCH", "/proxies/ratings/toxics/slow", #"{"attributes": {"latency": 250}}"#)
            #expect(updated.status == 200 && updated.body.contains(#""jitter":10,"latency":250"#))
            let swapped = try #require(Self.faults(control).first)
            #expect(swapped.id == "f1" && swapped.name == "slow" && swapped.latency == "250ms" && swapped.jitter == "10ms")

            #expect(try Self.call(control, "DELETE", "/proxies/ratings/toxics/slow").status == 204)
            #expect(Self.faults(control).map(\.id) == ["f2"])
            #expect(try Self.call(control, "DELETE", "/proxies/ratings/toxics/slow").status == 404)
        }
    }

    @Test func everyTypeMapsToItsLinkFault() throws {
        let cases: [(String, String, (FaultConfig) -> Bool)] = [
            ("slow_close", #"{"delay": 1500}"#, { $0.kind == "slowClose" && $0.delay?.value == "1.5s" }),
            ("timeout", #"{"timeout": 2000}"#, { $0.kind == "blackhole" && $0.timeout == "2s" }),
            ("timeout", #"{"timeout": 0}"#, { $0.kind == "blackhole" && $0.timeout == nil }),
            ("reset_peer", #"{"timeout": 50}"#, { $0.kind == "reset" && $0.timeout == "50ms" && $0.after == nil }),
            ("reset_peer", #"{}"#, { $0.kind == "reset" && $0.timeout == nil }),
            ("slicer", #"{"average_size": 64, "size_variation": 16, "delay": 500}"#,
             { $0.kind == "slicer" && $0.averageSize == 64 && $0.sizeVariation == 16 && $0.delay?.value == "500us" }),
            ("limit_data", #"{"bytes": 4096}"#, { $0.kind == "limitData" && $0.bytes == 4096 }),
        ]
        try withControlPlane { control in
            for (index, (type, attributes, matches)) in cases.enumerated() {
                let body = #"{"name": "t\#(index)", "type": "\#(type)", "stream": "upstream", "toxicity": 0.5, "attributes": \#(attributes)}"#
                let added = try Self.call(control, "POST", "/proxies/details/toxics", body)
                #expect(added.status == 200, "\(type)")
                let fault = try #require(Self.faults(control).last)
                #expect(matches(fault) && fault.direction == "upstream" && fault.toxicity == 0.5, "\(type) \(attributes)")
            }
            // Each reads back in Toxiproxy's units.
            let listed = try Self.call(control, "GET", "/proxies/details/toxics").body
            #expect(listed.contains(#""attributes":{"average_size":64,"delay":500,"size_variation":16}"#))
            #expect(listed.contains(#""attributes":{"timeout":2000},"name":"t1""#))
        }
    }

    @Test func aDisabledProxyIsAPartitionOfEveryCaller() throws {
        try withControlPlane { control in
            _ = try FaultAPITests.post(control, #"{"kind": "abort", "to": "ratings", "status": 503}"#)
            _ = try Self.call(control, "POST", "/proxies/ratings/toxics", #"{"type": "latency", "attributes": {"latency": 5}}"#)
            let disabled = try Self.call(control, "POST", "/proxies/ratings", #"{"enabled": false}"#)
            #expect(disabled.status == 200 && disabled.body.contains(#""enabled":false"#))
            let cut = try #require(Self.faults(control).last)
            #expect(cut.kind == "partition" && cut.to == "ratings" && cut.from == nil)
            let version = control.version
            _ = try Self.call(control, "POST", "/proxies/ratings", #"{"enabled": false}"#)
            #expect(control.version == version)  // already disabled: nothing new to publish
            #expect(try Self.call(control, "POST", "/proxies/ratings", #"{"enabled": true}"#).body.contains(#""enabled":true"#))
            #expect(Self.faults(control).map(\.kind) == ["abort", "latency"])

            // /reset: every proxy enabled, every toxic gone; other faults stay.
            _ = try Self.call(control, "POST", "/proxies/details", #"{"enabled": false}"#)
            #expect(try Self.call(control, "POST", "/reset").status == 204)
            #expect(Self.faults(control).map(\.kind) == ["abort"])
        }
    }

    @Test func aChangeIsAnsweredOnceEveryLiveSidecarAppliedIt() throws {
        var configuration = fastConfiguration()
        configuration.applyTimeout = 400_000_000
        try withControlPlane(configuration: configuration) { control in
            try ratingsA.heartbeat(control)
            let client = try TestHTTPClient(control)
            try client.send("POST", "/proxies/ratings/toxics", body: Array(#"{"name": "slow", "type": "latency", "attributes": {"latency": 5}}"#.utf8))
            #expect(throws: (any Error).self, "answered before the sidecar applied the change") { try client.readResponse(within: 0.2) }
            try ratingsA.ack(control, version: control.version)
            #expect(try client.readResponse().status == 200)

            // A sidecar that rejects the version: 500 with its reason.
            let rejecting = try TestHTTPClient(control)
            let before = control.version
            try rejecting.send("POST", "/proxies/ratings/toxics/slow", body: Array(#"{"attributes": {"latency": 6}}"#.utf8))
            try #require(eventually(within: 10) { control.version == before + 1 })
            try ratingsA.ack(control, version: control.version, error: "cannot apply")
            let rejected = try rejecting.readResponse()
            #expect(rejected.status == 500 && String(decoding: rejected.body, as: UTF8.self).contains("ratings-v1-0 rejected it: cannot apply"))

            // One that never answers: 504 once the apply timeout is up, naming it.
            let late = try Self.call(control, "DELETE", "/proxies/ratings/toxics/slow")
            #expect(late.status == 504 && late.body.contains("ratings-v1-0 did not apply it within 0.4 s"), "\(late.body)")
            #expect(Self.faults(control).isEmpty)  // in force on the control plane all the same
        }
    }

    @Test func theTopologysLinkFaultsAreToxicsNamedByTheirIDs() throws {
        let base = bookinfo()
        let topology = Topology(name: base.name, services: base.services, routes: base.routes, authorization: base.authorization, faults: [
            FaultSpec(action: .latency(.milliseconds(20), jitter: .zero), target: .link(from: nil, to: "details")),
            FaultSpec(action: .latency(.milliseconds(20), jitter: .zero), target: .link(from: "productpage", to: "details")),
            FaultSpec(action: .limitData(bytes: 10), target: .link(from: nil, to: "details"), direction: .both),
        ])
        try withControlPlane(topology) { control in
            let toxics = try JSONSerialization.jsonObject(with: Data(try Self.call(control, "GET", "/proxies/details/toxics").body.utf8)) as? [[String: Any]]
            #expect(toxics?.compactMap { $0["name"] as? String } == ["f1"])  // one caller or both ways: no Toxiproxy form
            #expect(try Self.call(control, "DELETE", "/proxies/details/toxics/f1").status == 204)
            #expect(Self.faults(control).map(\.id) == ["f2", "f3"])
        }
    }

    @Test func mistakesAndWhatMeshbedCannotDo() throws {
        try withControlPlane { control in
            let cases: [(String, String, String?, Int, String)] = [
                ("GET", "/proxies/redis", nil, 404, "proxy not found: 'redis'"),
                ("GET", "/proxies/ratings/toxics/none", nil, 404, "toxic not found: 'none' on proxy 'ratings'"),
                ("POST", "/proxies/ratings/toxics", #"{"type": "lag"}"#, 400, "invalid toxic type 'lag'"),
                ("POST", "/proxies/ratings/toxics", #"{"type": "latency", "stream": "sideways", "attributes": {"latency": 1}}"#, 400, "stream was invalid"),
                ("POST", "/proxies/ratings/toxics", #"{"type": "latency", "attributes": {"latency": 1, "spread": 2}}"#, 400, "attribute 'spread' does not apply to a latency toxic"),
                ("POST", "/proxies/ratings/toxics", #"{"type": "latency", "attributes": {"latency": 10, "jitter": 20}}"#, 400, "expected at most the latency"),
                ("POST", "/proxies/ratings/toxics", #"{"type": "latency", "attributes": {"latency": 1.5}}"#, 400, "expected a whole number"),
                ("POST", "/proxies/ratings/toxics", #"{"type": "latency", "toxicity": 2, "attributes": {"latency": 1}}"#, 400, "toxicity: expected a probability"),
                ("POST", "/proxies/ratings/toxics", #"{"type": "latency", "enabled": true, "attributes": {"latency": 1}}"#, 400, "unknown field 'enabled'"),
                ("POST", "/proxies/ratings/toxics", #"{"type": "bandwidth"}"#, 400, "attribute 'rate' of a bandwidth toxic: expected a whole number ≥ 1"),
                ("POST", "/proxies/ratings/toxics", "not json", 400, "bad request body"),
                ("POST", "/proxies", #"{"name": "ratings", "upstream": "localhost:6379"}"#, 409, "proxy already exists"),
                ("POST", "/proxies", #"{"name": "redis", "listen": "127.0.0.1:26379", "upstream": "localhost:6379"}"#, 400, "'redis' cannot be created"),
                ("DELETE", "/proxies/ratings", nil, 405, "cannot be deleted"),
                ("POST", "/proxies/ratings", #"{"listen": "127.0.0.1:1"}"#, 400, "it cannot move to '127.0.0.1:1'"),
                ("POST", "/proxies/ratings", #"{"name": "stars"}"#, 400, "'stars' cannot be created"),
                ("POST", "/populate", #"[{"name": "ratings", "upstream": "db:5432"}]"#, 400, "it cannot forward to 'db:5432'"),
                ("PUT", "/proxies/ratings", "{}", 405, "allows"),
            ]
            for (method, path, body, status, message) in cases {
                let response = try Self.call(control, method, path, body)
                #expect(response.status == status, "\(method) \(path) \(body ?? "")")
                #expect(response.body.contains(message), "\(method) \(path): \(response.body)")
                if status != 405 { #expect(response.body.contains(#""status":\#(status)"#), "Toxiproxy's error shape") }
            }
            #expect(Self.faults(control).isEmpty)
            let populated = try Self.call(control, "POST", "/populate", #"[{"name": "ratings", "upstream": "ratings", "enabled": false}, {"name": "details"}]"#)
            #expect(populated.status == 201 && populated.body.hasPrefix(#"{"proxies":[{"enabled":false,"#))
            #expect(Self.faults(control).map(\.kind) == ["partition"])
        }
    }
}

/// The control plane's own `/metrics`: version, instances by health, sidecars behind, faults.
@Suite struct ControlMetricsTests {
    @Test func theControlPlanesMetrics() throws {
        try withControlPlane { control in
            try ratingsA.heartbeat(control)
            _ = try FaultAPITests.post(control, #"{"kind": "abort", "to": "ratings", "status": 503}"#)
            func scrape() throws -> String {
                let response = try TestHTTPClient.request(control, "GET", "/metrics")
                #expect(response.status == 200 && response.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
                return String(decoding: response.body, as: UTF8.self)
            }
            let text = try scrape()
            #expect(text.contains("meshbed_control_config_version \(control.version)\n"))
            #expect(text.contains(#"meshbed_control_instances{service="ratings",state="healthy"} 1"#))
            #expect(text.contains(#"meshbed_control_instances{service="ratings",state="unregistered"} 1"#))
            #expect(text.contains("meshbed_control_sidecars_behind 1\n") && text.contains("meshbed_control_faults 1\n"))
            try ratingsA.ack(control, version: control.version)
            #expect(try scrape().contains("meshbed_control_sidecars_behind 0\n"))
        }
    }
}
