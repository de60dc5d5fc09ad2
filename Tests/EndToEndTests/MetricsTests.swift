import Foundation
import MeshTestSupport
import Testing

/// Every sidecar's `/metrics` on a running topology (strict mTLS): exact request counts by
/// label set on both sides of each call, histograms consistent with the counts, and the text
/// as Prometheus's own `promtool check metrics` reads it.
@Suite(.serialized) struct MetricsTests {
    /// The samples of `name` in a scrape whose labels include `matching`, added up.
    static func sum(_ text: String, _ name: String, _ matching: [String: String]) -> Int {
        var total = 0.0
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") {
            guard let close = line.lastIndex(of: "}"), let value = Double(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)) else { continue }
            let labels = Self.labels(String(line[line.index(after: line.firstIndex(of: "{")!)..<close]))
            if matching.allSatisfy({ labels[$0.key] == $0.value }) { total += value }
        }
        return Int(total)
    }

    /// `a="x",b="y"` as a dictionary (values without escapes, as these tests' labels are).
    static func labels(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            result[String(parts[0])] = String(parts[1].dropFirst().dropLast())
        }
        return result
    }

    @Test func requestsAreCountedExactlyOnBothSides() throws {
        let workspace = try MeshUpTests.Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("metered.yaml", """
            kind: Topology
            name: metered
            mesh: {mtls: strict}
            services:
              svc: {replicas: 2}

            """)
        let up = try workspace.meshbed(["up", file, "--detach"])
        try #require(up.status == 0, "\(up.stderr)")
        let state = try workspace.state("metered")
        let ingress = try #require(state["ingress"] as? String)
        let ingressAdmin = try #require(state["ingressAdmin"] as? String)
        let status = try MeshUpTests.status(workspace, "metered")
        let admins = (status["instances"] as? [[String: Any]] ?? []).compactMap { $0["admin"] as? String }
        try #require(admins.count == 2)

        let count = 25
        let statuses = try FaultInjectionTests.statuses(ingress, count: count)
        try #require(statuses == Array(repeating: 200, count: count))

        func scrape(_ admin: String) throws -> String {
            let response = try MeshUpTests.curl(["http://\(admin)/metrics"])
            #expect(response.contains("content-type: text/plain; version=0.0.4; charset=utf-8"), "\(response.prefix(300))")
            return String(response[response.range(of: "\r\n\r\n")!.upperBound...])
        }
        let gateway = try scrape(ingressAdmin)
        let ok = ["destination": "svc", "response_code": "200"]
        #expect(Self.sum(gateway, "meshbed_requests_total", ok.merging(["reporter": "source", "source": "ingress", "response_flags": "-"]) { $1 }) == count)
        #expect(Self.sum(gateway, "meshbed_request_duration_seconds_count", ok) == count)
        #expect(Self.sum(gateway, "meshbed_request_duration_seconds_bucket", ok.merging(["le": "+Inf"]) { $1 }) == count)
        let callee = try admins.map(scrape)
        let served = callee.map { Self.sum($0, "meshbed_requests_total", ok.merging(["reporter": "destination", "source": "ingress", "destination_version": "v1"]) { $1 }) }
        #expect(served.reduce(0, +) == count, "\(served)")
        #expect(callee.allSatisfy { $0.contains("meshbed_certificate_expiry_timestamp_seconds ") && $0.contains("meshbed_inbound_tls_connections_total ") })

        // The control plane's aggregate view: every sidecar's counters and histograms added up.
        let control = try #require(state["control"] as? String)
        let aggregate = try scrape(control + "/v1")  // GET /v1/metrics
        #expect(Self.sum(aggregate, "meshbed_aggregate_sidecars", ["answered": "true"]) == 3, "\(aggregate.prefix(400))")
        #expect(Self.sum(aggregate, "meshbed_requests_total", ok.merging(["reporter": "destination"]) { $1 }) == count)
        #expect(Self.sum(aggregate, "meshbed_requests_total", ok.merging(["reporter": "source"]) { $1 }) == count)
        #expect(Self.sum(aggregate, "meshbed_request_duration_seconds_bucket", ok.merging(["le": "+Inf"]) { $1 }) == 2 * count)
        #expect(!aggregate.contains("meshbed_certificate_expiry_timestamp_seconds"))  // gauges stay on each sidecar

        // Access logs: one JSON line per request in each sidecar's log, within 100 ms.
        let logs = workspace.stateDirectory + "/metered/logs/"
        func accessLines(_ file: String) -> [[String: Any]] {
            let text = (try? String(contentsOfFile: logs + file, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                guard line.hasPrefix("{"), let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
                return object["kind"] as? String == "access" ? object : nil
            }
        }
        #expect(eventually(within: 10) {
            accessLines("ingress.log").count == count
                && accessLines("svc-v1-0.sidecar.log").count + accessLines("svc-v1-1.sidecar.log").count == count
        }, "access lines: ingress \(accessLines("ingress.log").count), svc \(accessLines("svc-v1-0.sidecar.log").count) + \(accessLines("svc-v1-1.sidecar.log").count)")
        let line = try #require(accessLines("ingress.log").first)
        #expect(line["reporter"] as? String == "source" && line["destination"] as? String == "svc" && line["status"] as? Int == 200)
        #expect((line["endpoint"] as? String)?.hasPrefix("svc-v1-") == true && line["method"] as? String == "GET" && line["path"] as? String == "/")
        let inbound = try #require((accessLines("svc-v1-0.sidecar.log") + accessLines("svc-v1-1.sidecar.log")).first)
        #expect(inbound["reporter"] as? String == "destination" && inbound["source"] as? String == "ingress", "\(inbound)")

        // meshbed logs: the same lines merged; one service's; a service that does not exist.
        let all = try workspace.meshbed(["logs", "--json"])
        #expect(all.status == 0 && all.stdout.split(separator: "\n").count == 2 * count, "\(all.stderr)")
        let svc = try workspace.meshbed(["logs", "svc"])
        let rows = svc.stdout.split(separator: "\n")
        #expect(rows.count == count && rows.allSatisfy { $0.contains(" in   ingress -> svc/v1  GET /  200 -  ") }, "\(svc.stdout.prefix(300))")
        #expect(rows.map { $0.prefix(24) } == rows.map { $0.prefix(24) }.sorted(), "not in time order")
        let unknown = try workspace.meshbed(["logs", "nope"])
        #expect(unknown.status == 2 && unknown.stderr.contains("logs: no service 'nope' in topology 'metered' (services: svc, ingress)"), "\(unknown.stderr)")

        // --follow: new lines as they are written; SIGTERM ends it cleanly.
        let harness = Harness()
        let (follower, followed) = try harness.startBackground(Harness.meshbed, ["logs", "--follow", "--json", "--state-dir", workspace.stateDirectory],
                                                               environment: workspace.environment)
        #expect(followed.first(within: 10) { $0.contains(#""path":"/""#) } != nil, "the existing lines first")
        _ = try MeshUpTests.curl(["-H", "Host: svc", "http://\(ingress)/followed"])
        #expect(followed.first(within: 10) { $0.contains(#""reporter":"source""#) && $0.contains(#""path":"/followed""#) } != nil)
        follower.terminate()
        follower.waitUntilExit()
        #expect(follower.terminationStatus == 0)

        if Harness.has("promtool") {
            for text in [gateway, aggregate] + callee {
                let check = try Harness.run("promtool", ["check", "metrics"], input: Data(text.utf8), timeout: 30)
                #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
            }
        }
    }

    @Test func prometheusMistakesAreUsageErrors() throws {
        let workspace = try MeshUpTests.Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("p.yaml", "kind: Topology\nname: p\nservices:\n  svc: {}\n")
        let noMesh = try workspace.meshbed(["up", file, "--prometheus", "--no-mesh"])
        #expect(noMesh.status == 2 && noMesh.stderr.contains("--prometheus scrapes the sidecars' admin ports: it needs the mesh"), "\(noMesh.stderr)")
        let missing = try Harness.run(Harness.meshbed, ["up", file, "--prometheus", "--state-dir", workspace.stateDirectory], timeout: 30,
                                      environment: workspace.environment.merging(["PATH": "/nonexistent"]) { $1 })
        #expect(missing.status == 2 && missing.stderr.contains("no 'prometheus' executable on PATH"), "\(missing.stderr)")
    }

    /// `meshbed up --prometheus`: a real Prometheus scrapes every admin port from the
    /// targets file and a PromQL query returns the exact request count.
    @Test(.enabled(if: Harness.has("prometheus"))) func aRealPrometheusScrapesTheMesh() throws {
        let workspace = try MeshUpTests.Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("scraped.yaml", """
            kind: Topology
            name: scraped
            mesh: {mtls: strict}
            services:
              svc: {replicas: 2}

            """)
        let up = try workspace.meshbed(["up", file, "--detach", "--prometheus"])
        try #require(up.status == 0, "\(up.stderr)")
        let state = try workspace.state("scraped")
        let prometheus = try #require(state["prometheus"] as? String)
        #expect(up.stdout.contains("prometheus http://\(prometheus)"))
        #expect(try MeshUpTests.status(workspace, "scraped")["prometheus"] as? String == prometheus)
        let ingress = try #require(state["ingress"] as? String)
        let count = 12
        try #require(try FaultInjectionTests.statuses(ingress, count: count) == Array(repeating: 200, count: count))

        let query = #"sum(meshbed_requests_total{reporter="destination",destination="svc",response_code="200"})"#
        func value() -> Int? {
            guard let output = try? Harness.run("curl", ["-s", "-m", "5", "http://\(prometheus)/api/v1/query", "--data-urlencode", "query=\(query)"], timeout: 10).stdout,
                  let object = try? MeshUpTests.object(output), let data = object["data"] as? [String: Any],
                  let result = (data["result"] as? [[String: Any]])?.first, let pair = result["value"] as? [Any], let text = pair.last as? String
            else { return nil }
            return Int(text)
        }
        // Scraped every second: wait for both instances' counts to arrive.
        #expect(eventually(within: 30) { value() == count }, "PromQL \(query) = \(String(describing: value()))")
        let down = try workspace.meshbed(["down", "scraped"])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(workspace.marked("scraped").isEmpty, "Prometheus outlived the topology")
    }
}
