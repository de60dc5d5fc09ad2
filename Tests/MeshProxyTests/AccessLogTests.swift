import Foundation
import MeshConfig
import MeshIO
@testable import MeshProxy
import Testing

/// The access log in memory with manual time: one JSON line per finished request from its
/// decision record, written in batches (100 ms after the first line, or at 32 KiB).
@Suite struct AccessLogTests {
    final class Sink: @unchecked Sendable {
        var writes: [[UInt8]] = []
        var lines: [[String: Any]] {
            writes.flatMap { String(decoding: $0, as: UTF8.self).split(separator: "\n") }
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
    }

    static func harness(_ sink: Sink, services: [String: [String: Int]] = ["svc": ["v1": 1]], telemetry: TelemetryConfig? = nil) -> PipelineHarness {
        let harness = PipelineHarness(services: services, telemetry: telemetry)
        harness.state.accessLog = AccessLog(timers: harness.timers, wallClock: { 1_795_987_559_042_000_000 }, output: { sink.writes.append(Array($0)) })
        return harness
    }

    @Test func oneLinePerRequestWrittenInBatches() throws {
        let sink = Sink()
        let harness = Self.harness(sink)
        harness.send("GET", "/items?id=3")
        harness.send("POST", "/orders", body: "hello")
        harness.send(host: "nowhere")
        #expect(sink.writes.isEmpty)  // not before 100 ms
        harness.advance(ms: 100)
        #expect(sink.writes.count == 1)
        let lines = sink.lines
        try #require(lines.count == 3)
        let first = lines[0]
        #expect(first["time"] as? String == "2026-11-29T21:25:59.042Z" && first["kind"] as? String == "access")
        #expect(first["reporter"] as? String == "source" && first["source"] as? String == "caller")
        #expect(first["destination"] as? String == "svc" && first["version"] as? String == "v1" && first["endpoint"] as? String == "svc-v1-0")
        #expect(first["method"] as? String == "GET" && first["path"] as? String == "/items" && first["status"] as? Int == 200)
        #expect(first["flags"] as? String == "-" && first["attempts"] as? Int == 1 && (first["bytesOut"] as? Int ?? 0) > 0)
        #expect(lines[1]["method"] as? String == "POST" && lines[1]["path"] as? String == "/orders")
        #expect(lines[2]["status"] as? Int == 404 && lines[2]["flags"] as? String == "NR" && lines[2]["destination"] as? String == "nowhere")
        #expect(lines[2]["endpoint"] == nil)
    }

    @Test func offInTheSnapshotWritesNothingUntilTurnedOn() throws {
        let sink = Sink()
        let harness = Self.harness(sink, telemetry: TelemetryConfig(accessLog: false))
        harness.send("GET", "/quiet")
        harness.advance(ms: 200)
        #expect(sink.writes.isEmpty)
        let snapshot = MeshSnapshot(version: 2, topology: "t",
                                    services: ["svc": DestinationConfig(versions: ["v1": [Endpoint(id: "svc-v1-0", address: "10.0.0.1:1001")]], routes: [])])
        harness.store.apply(try RoutingTable(snapshot, previous: nil, faultOwner: harness.store.faultOwner), from: snapshot)
        harness.send("GET", "/loud")
        harness.advance(ms: 100)
        #expect(sink.lines.map { $0["path"] as? String } == ["/loud"])
    }

    @Test func eachLineHasItsOwnMillisecondAndSecond() throws {
        let sink = Sink()
        let harness = PipelineHarness(services: ["svc": ["v1": 1]])
        let clock = Clock(now: 1_795_987_559_998_500_000)
        harness.state.accessLog = AccessLog(timers: harness.timers, wallClock: { clock.now }, output: { sink.writes.append(Array($0)) })
        for step: Int64 in [0, 400_000, 700_000, 1_000_000, 1_001_000_000, 86_400_000_000_000] {
            clock.now += step
            harness.send("GET", "/")
        }
        harness.advance(ms: 100)
        #expect(sink.lines.map { $0["time"] as? String } == [
            "2026-11-29T21:25:59.998Z", "2026-11-29T21:25:59.998Z", "2026-11-29T21:25:59.999Z",
            "2026-11-29T21:26:00.000Z", "2026-11-29T21:26:01.001Z", "2026-11-30T21:26:01.001Z",
        ])
    }

    final class Clock: @unchecked Sendable {
        var now: Int64
        init(now: Int64) { self.now = now }
    }

    @Test func aFullBufferIsWrittenAtOnce() {
        let sink = Sink()
        let harness = Self.harness(sink)
        var sent = 0
        while sink.writes.isEmpty, sent < 1000 {
            harness.send("GET", "/" + String(repeating: "p", count: 200))
            sent += 1
        }
        #expect(sink.writes.count == 1 && sink.writes[0].count >= AccessLog.flushBytes)
        #expect(sent > 10 && sent < 200)
        harness.advance(ms: 100)
        #expect(sink.lines.count == sent)
    }

    @Test func theLineBufferEscapesAndCounts() {
        let buffer = LogBuffer(capacity: 4)
        buffer.string("plain")
        buffer.byte(UInt8(ascii: " "))
        buffer.string("a\"b\\c\nd")
        buffer.byte(UInt8(ascii: " "))
        buffer.decimal(0)
        buffer.byte(UInt8(ascii: " "))
        buffer.decimal(-1234567)
        buffer.byte(UInt8(ascii: " "))
        buffer.digits(7, width: 3)
        buffer.byte(UInt8(ascii: " "))
        buffer.decimal(UInt64.max)
        buffer.byte(UInt8(ascii: " "))
        buffer.decimal(1000)
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == #""plain" "a\"b\\c\nd" 0 -1234567 007 18446744073709551615 1000"#)
        buffer.clear()
        #expect(buffer.count == 0 && buffer.capacity >= 40)
    }
}
