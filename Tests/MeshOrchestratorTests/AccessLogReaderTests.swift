import MeshOrchestrator
import Testing

/// `meshbed logs`' reading: access lines picked out of sidecar logs (their other lines and a
/// partial last line left out), merged in time order, printed readably.
@Suite struct AccessLogReaderTests {
    static func line(_ time: String, reporter: String = "source", status: Int = 200, attempts: Int = 1, fault: String? = nil) -> String {
        let extra = fault.map { #","fault":"\#($0)""# } ?? ""
        return #"{"time":"\#(time)","kind":"access","reporter":"\#(reporter)","source":"ingress","destination":"reviews","version":"v2","endpoint":"reviews-v2-0","method":"GET","path":"/","status":\#(status),"flags":"-","durationMs":1.5,"attempts":\#(attempts),"bytesOut":10\#(extra)}"#
    }

    @Test func picksMergesAndPrints() {
        let ingress = """
            meshbed proxy: ingress listening: gateway 127.0.0.1:1, admin 127.0.0.1:2
            \(Self.line("2026-11-29T21:25:59.042Z"))
            \(Self.line("2026-11-29T21:25:59.050Z", status: 503, attempts: 3, fault: "f1 abort 503 (request 2)"))
            {"time":"2026-11-29T21:25:59.0
            """
        let reviews = """
            \(Self.line("2026-11-29T21:25:59.043Z", reporter: "destination"))
            {"kind":"other"}
            """
        let a = AccessLogReader.entries(Substring(ingress), sidecar: "ingress")
        let b = AccessLogReader.entries(Substring(reviews), sidecar: "reviews-v2-0")
        #expect(a.count == 2 && b.count == 1)
        let merged = AccessLogReader.merged([a, b])
        #expect(merged.map(\.sidecar) == ["ingress", "reviews-v2-0", "ingress"])
        #expect(merged[0].json == Self.line("2026-11-29T21:25:59.042Z"))
        #expect(AccessLogReader.readable(merged[0]) == "2026-11-29T21:25:59.042Z  ingress out  ingress -> reviews/v2 (reviews-v2-0)  GET /  200 -  1.500ms")
        #expect(AccessLogReader.readable(merged[1]) == "2026-11-29T21:25:59.043Z  reviews-v2-0 in   ingress -> reviews/v2  GET /  200 -  1.500ms")
        #expect(AccessLogReader.readable(merged[2]).hasSuffix("503 -  1.500ms  attempts 3  fault f1 abort 503 (request 2)"))
    }
}
