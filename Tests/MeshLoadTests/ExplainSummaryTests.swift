import Foundation
@testable import MeshLoad
import Testing

/// `--explain`: decision records read from canned `x-meshbed-explain` lines, no network.
@Suite struct ExplainSummaryTests {
    static let inbound = #"{"sidecar":"svc-v1-0","mode":"inbound","attempts":[{"endpoint":"app","outcome":"500"}],"flags":"-"}"#
    static let retried =
        #"{"sidecar":"ingress","mode":"gateway","destination":"svc","route":0,"bucket":"v1","attempts":[{"endpoint":"svc-v1-0","outcome":"500","retry":"5xx","backoffMs":12.3},{"endpoint":"svc-v1-1","outcome":"500","retry":"5xx","backoffMs":40},{"endpoint":"svc-v1-0","outcome":"200"}],"mirror":"svc-v2-0","flags":"-","note":"a \"quoted\" note, with {braces}"}"#
    static let first = #"{"sidecar":"caller-v1-0","mode":"outbound","destination":"svc","attempts":[{"endpoint":"svc-v1-1","outcome":"200"}],"flags":"-"}"#
    static let exhausted =
        #"{"sidecar":"caller-v1-0","mode":"outbound","destination":"svc","attempts":[{"endpoint":"svc-v1-0","outcome":"503","retry":"5xx","backoffMs":1},{"endpoint":"svc-v1-1","outcome":"connect-failure"}],"flags":"UF,URX"}"#
    static let noRoute = #"{"sidecar":"caller-v1-0","mode":"outbound","destination":"nope","attempts":[],"flags":"NR"}"#

    static func lines(_ texts: String...) -> [ArraySlice<UInt8>] { texts.map { ArraySlice($0.utf8) } }

    @Test func countsTheCallerSideRecordOfEachResponse() {
        var summary = ExplainSummary()
        summary.add(response: Self.lines(Self.inbound, Self.retried))  // inbound first, as the response passes it first
        summary.add(response: Self.lines(Self.first))
        summary.add(response: Self.lines(Self.exhausted))
        summary.add(response: Self.lines(Self.noRoute))
        #expect(summary.explained == 4)
        #expect(summary.unexplained == 0)
        #expect(summary.attempts == [0: 1, 1: 1, 2: 1, 3: 1])
        #expect(summary.maxAttempts == 3)
        #expect(summary.meanAttempts == 1.5)
        #expect(summary.retryReasons == ["5xx": 3])
        #expect(summary.flags == ["UF": 1, "URX": 1, "NR": 1])
        #expect(summary.endpoints == ["svc-v1-0": 3, "svc-v1-1": 3])
    }

    @Test func responsesWithoutACallerSideRecordAreCountedApart() {
        var summary = ExplainSummary()
        summary.add(response: [])
        summary.add(response: Self.lines(Self.inbound))
        summary.add(response: Self.lines("{\"mode\":\"outbound\",\"attempts\":[", "not json", "{}}"))
        #expect(summary.explained == 0)
        #expect(summary.unexplained == 3)
        #expect(summary.maxAttempts == nil)
        #expect(summary.meanAttempts == nil)
        #expect(summary.lines() == ["  explain  0 responses explained, 3 without a caller-side record"])
    }

    @Test func aHostileRecordCannotRecurseDeeply() {
        let deep = "{\"mode\":\"outbound\",\"x\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        var summary = ExplainSummary()
        summary.add(response: Self.lines(deep))
        #expect(summary.unexplained == 1)
    }

    @Test func theRequestCarriesTheHeaderOnlyWithExplain() {
        var configuration = LoadConfiguration(target: LoadTarget(address: .init("127.0.0.1:1")!, hostHeader: "svc", path: "/"))
        #expect(!String(decoding: configuration.serializedRequest(), as: UTF8.self).contains("x-meshbed-explain"))
        configuration.explain = true
        #expect(String(decoding: configuration.serializedRequest(), as: UTF8.self).contains("\r\nx-meshbed-explain: 1\r\n"))
        configuration.headers = [("X-Meshbed-Explain", "1")]
        let request = String(decoding: configuration.serializedRequest(), as: UTF8.self)
        #expect(request.components(separatedBy: "xplain").count == 2)
    }

    @Test func reportsInTextAndJSON() {
        var load = LoadResult()
        load.statusCounts = [200: 3]
        var summary = ExplainSummary()
        summary.add(response: Self.lines(Self.inbound, Self.retried))
        summary.add(response: Self.lines(Self.first))
        summary.add(response: Self.lines(Self.exhausted))
        load.explain = summary
        let text = load.text(concurrency: 1, rate: nil)
        #expect(text.contains("  explain  3 responses explained\n"))
        #expect(text.contains("  attempts 1: 1  2: 1  3: 1  (mean 2.0, max 3)\n"))
        #expect(text.contains("  retries  5xx: 3\n"))
        #expect(text.contains("  flags    UF: 1  URX: 1\n"))
        #expect(text.contains("  endpoints svc-v1-0: 3  svc-v1-1: 3\n"))
        let json = String(decoding: load.json(concurrency: 1, rate: nil), as: UTF8.self)
        #expect(json.contains(#""explain":{"explained":3,"unexplained":0,"attempts":{"1":1,"2":1,"3":1},"meanAttempts":2.0,"maxAttempts":3,"retryReasons":{"5xx":3},"flags":{"UF":1,"URX":1},"endpoints":{"svc-v1-0":3,"svc-v1-1":3}}"#))
        #expect(!String(decoding: LoadResult().json(concurrency: 1, rate: nil), as: UTF8.self).contains("explain"))
    }
}
