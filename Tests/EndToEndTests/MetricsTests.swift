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

        if Harness.has("promtool") {
            for text in [gateway] + callee {
                let check = try Harness.run("promtool", ["check", "metrics"], input: Data(text.utf8), timeout: 30)
                #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
            }
        }
    }
}
