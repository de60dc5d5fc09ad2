import Foundation
import MeshOrchestrator
import Testing

/// `status --json` is SPEC §5's object exactly; the table and the ready banner read well.
@Suite struct StatusReportTests {
    @Test func jsonHasExactlyTheContractKeysInOrder() throws {
        let state = StateDirectoryTests.sampleState()
        let report = StatusReport(state: state, running: true, entries: [
            StatusReport.Entry(instance: state.instances[0], ready: true),
            StatusReport.Entry(instance: state.instances[1], ready: false),
        ])
        let json = report.json
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["name", "control", "ingress", "instances"])
        #expect(object["name"] as? String == "shop")
        #expect(object["control"] as? String == "127.0.0.1:1000")
        #expect(object["ingress"] as? String == "127.0.0.1:1001")
        let instances = try #require(object["instances"] as? [[String: Any]])
        #expect(instances.count == 2)
        let keys: Set<String> = ["id", "service", "version", "pid", "app", "inbound", "outbound", "admin", "ready", "identity", "certExpiry"]
        for instance in instances { #expect(Set(instance.keys) == keys) }
        #expect(instances[0]["pid"] as? Int == 13)
        #expect(instances[0]["ready"] as? Bool == true)
        #expect(instances[0]["identity"] as? String == "spiffe://meshbed.local/ns/shop/sa/web")
        #expect(instances[0]["certExpiry"] is NSNull)
        #expect(instances[1]["pid"] is NSNull && instances[1]["inbound"] is NSNull && instances[1]["ready"] as? Bool == false)
        #expect(json.hasPrefix("{\"name\":\"shop\",\"control\":\"127.0.0.1:1000\",\"ingress\":\"127.0.0.1:1001\",\"instances\":[{\"id\":\"web-v1-0\",\"service\":\"web\",\"version\":\"v1\",\"pid\":13,\"app\":"))
    }

    @Test func tableShowsEveryInstance() {
        let state = StateDirectoryTests.sampleState()
        let report = StatusReport(state: state, running: false, entries: [
            StatusReport.Entry(instance: state.instances[0], ready: false, exit: "exited with status 1"),
            StatusReport.Entry(instance: state.instances[1], ready: true),
        ])
        let lines = report.table.split(separator: "\n").map(String.init)
        #expect(lines[0] == "shop: stopped (supervisor gone), supervisor pid 4242")
        #expect(lines.contains { $0.hasPrefix("INSTANCE") && $0.contains("READY") })
        #expect(lines.contains { $0.hasPrefix("web-v1-0") && $0.contains("no (exited with status 1)") })
        #expect(lines.contains { $0.hasPrefix("legacy-v1-0") && $0.contains(" yes ") })
    }

    @Test func readyBannerNamesTheIngressAndACurl() {
        let state = StateDirectoryTests.sampleState()
        let text = UpReport.ready(state, stop: "Ctrl-C")
        #expect(text.contains("'shop' is ready (2 instances)"))
        #expect(text.contains("ingress  127.0.0.1:1001"))
        #expect(text.contains("curl -H 'Host: web' http://127.0.0.1:1001/"))
        var appsOnly = state
        appsOnly.mesh = false
        appsOnly.control = nil
        appsOnly.ingress = nil
        let apps = UpReport.ready(appsOnly, stop: "Ctrl-C")
        #expect(apps.contains("web-v1-0     127.0.0.1:1003"))
        #expect(apps.contains("curl http://127.0.0.1:1003/"))
    }
}
