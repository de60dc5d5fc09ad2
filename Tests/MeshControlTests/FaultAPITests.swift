import Foundation
import MeshConfig
import MeshControl
import MeshCore
import MeshTestSupport
import MeshTopology
import Testing

/// The control plane's fault API: faults added in the topology's form (JSON), listed with
/// their ids, carried by every snapshot, cleared one by one or all at once, and cleared by
/// themselves after their `duration`; mistakes get a 4xx with a one-line reason.
@Suite struct FaultAPITests {
    static func post(_ control: ControlPlane, _ json: String) throws -> (status: Int, body: String) {
        let response = try TestHTTPClient.request(control, "POST", "/v1/faults", body: Array(json.utf8))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    static func ids(_ control: ControlPlane) -> [String] {
        (control.currentSnapshot().faults ?? []).map(\.id)
    }

    @Test func addListAndClear() throws {
        try withControlPlane { control in
            let before = control.version
            let added = try Self.post(control, #"{"kind": "abort", "to": "ratings", "status": 503, "percent": 50, "side": "server"}"#)
            #expect(added.status == 201)
            #expect(added.body.contains(#""id":"f1""#))
            #expect(control.version == before + 1)
            let fault = try #require(control.currentSnapshot().faults?.first)
            #expect(fault.kind == "abort" && fault.to == "ratings" && fault.status == 503 && fault.percent == 50 && fault.side == "server")
            #expect(fault.spec == "{kind: abort, to: ratings, status: 503, side: server, percent: 50}")

            _ = try Self.post(control, #"{"kind": "delay", "to": "reviews", "version": "v2", "delay": {"distribution": "normal", "mean": "100ms", "stddev": "10ms"}}"#)
            #expect(Self.ids(control) == ["f1", "f2"])
            let list = try TestHTTPClient.request(control, "GET", "/v1/faults")
            #expect(list.status == 200)
            #expect(String(decoding: list.body, as: UTF8.self).contains(#""distribution":"normal""#))

            let one = try TestHTTPClient.request(control, "DELETE", "/v1/faults/f1")
            #expect(one.status == 200)
            #expect(Self.ids(control) == ["f2"])
            #expect(try TestHTTPClient.request(control, "DELETE", "/v1/faults/f1").status == 404)
            _ = try Self.post(control, #"{"kind": "abort", "to": "details", "status": 500}"#)
            #expect(Self.ids(control) == ["f2", "f3"])  // ids are never reused
            let all = try TestHTTPClient.request(control, "DELETE", "/v1/faults")
            #expect(String(decoding: all.body, as: UTF8.self).contains(#""cleared":2"#))
            #expect(control.currentSnapshot().faults == nil)
        }
    }

    @Test func theTopologysFaultsAreInTheFirstSnapshot() throws {
        var topology = bookinfo()
        topology = Topology(name: topology.name, services: topology.services, routes: topology.routes, authorization: topology.authorization,
                            faults: [FaultSpec(action: .abort(status: 503), target: .link(from: nil, to: "ratings"), trigger: .first(3))])
        try withControlPlane(topology) { control in
            #expect(control.currentSnapshot().version == 1)
            #expect(control.currentSnapshot().faults?.map(\.id) == ["f1"])
            #expect(control.currentSnapshot().faults?.first?.first == 3)
        }
    }

    @Test func aFaultClearsItselfAfterItsDuration() throws {
        let clock = ManualClock(nanoseconds: 5_000_000_000)
        var configuration = fastConfiguration(expiryInterval: 0.02)
        configuration.clock = clock
        try withControlPlane(configuration: configuration) { control in
            _ = try Self.post(control, #"{"kind": "abort", "to": "ratings", "status": 503, "duration": "10s"}"#)
            _ = try Self.post(control, #"{"kind": "abort", "to": "details", "status": 503}"#)
            clock.advance(by: .seconds(9))
            #expect(!eventually(within: 0.2) { Self.ids(control) == ["f2"] }, "f1 cleared before its time")
            clock.advance(by: .seconds(1))
            #expect(eventually(within: 10) { Self.ids(control) == ["f2"] }, "f1 still in force")
        }
    }

    @Test func mistakesAreFourHundreds() throws {
        try withControlPlane { control in
            let cases: [(String, Int, String)] = [
                (#"{"kind": "abort", "to": "ratngs", "status": 503}"#, 400, "to: unknown service 'ratngs' (did you mean 'ratings'?)"),
                (#"{"kind": "abort", "to": "ratings"}"#, 400, "missing key 'status' in abort fault"),
                (#"{"kind": "kill", "service": "ratings"}"#, 422, "is a process fault"),
                ("{not json", 400, "invalid fault"),
                ("", 400, "empty body"),
            ]
            for (body, status, message) in cases {
                let response = try Self.post(control, body)
                #expect(response.status == status, "\(body)")
                #expect(response.body.contains(message), "\(body): \(response.body)")
            }
            #expect(control.currentSnapshot().faults == nil)
            #expect(try TestHTTPClient.request(control, "PUT", "/v1/faults").status == 405)
        }
    }
}
