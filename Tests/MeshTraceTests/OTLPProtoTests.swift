import Foundation
import MeshTestSupport
import MeshTrace
import Testing

/// OTLPJSON read by OpenTelemetry's own message definitions (opentelemetry-proto for Python,
/// `google.protobuf.json_format.Parse`, strict): every span arrives with its ids, parent
/// links, kinds, times, attributes, events and status. Skipped only when the package is not
/// installed and `.ci/run` did not ask for it.
@Suite(.enabled(if: OTelPython.enabled))
struct OTLPProtoTests {
    @Test func opentelemetryProtoReadsEverySpan() throws {
        let directory = try #require(OTelPython.directory, "opentelemetry-proto is not installed where MESHBED_OTEL_PYTHON says")
        let out = try Self.python([OTelPython.script, "parse"], input: Data(OTLPJSON.encode(TraceFixtures.spans)), path: directory)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let spans = try #require(parsed["spans"] as? [[String: Any]])
        #expect(spans.count == TraceFixtures.spans.count)
        for span in TraceFixtures.spans {
            let read = try #require(spans.first { $0["spanId"] as? String == span.spanId }, "\(span.spanId)")
            #expect(read["traceId"] as? String == span.traceId)
            #expect(read["parentSpanId"] as? String == (span.parentSpanId ?? ""))
            #expect(read["kind"] as? Int == (span.kind == .server ? 2 : 3))
            #expect(read["service"] as? String == span.service && read["instance"] as? String == span.instance && read["scope"] as? String == "meshbed")
            #expect(read["start"] as? UInt64 == span.startUnixNano && read["end"] as? UInt64 == span.endUnixNano)
            #expect(read["name"] as? String == "GET " + (span.path.split(separator: "?").first.map(String.init) ?? ""))
            #expect(read["status"] as? Int == (span.status >= 500 ? 2 : 0))
            let attributes = try #require(read["attributes"] as? [String: [String: String]])
            #expect(attributes["http.response.status_code"] == ["intValue": String(span.status)])
            #expect(attributes["meshbed.attempts"] == ["intValue": String(span.attempts)])
            #expect(attributes["peer.service"] == ["stringValue": span.peer])
            let events = (read["events"] as? [[Any]]) ?? []
            #expect(events.map { $0.last as? String } == span.events.map(\.name))
            #expect(events.map { ($0.first as? NSNumber)?.uint64Value } == span.events.map(\.timeUnixNano))
        }
    }

    /// Runs python3 with `arguments` and `input` on stdin, `path` on PYTHONPATH; its stdout.
    static func python(_ arguments: [String], input: Data, path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["PYTHONPATH": path]) { $1 }
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(String(decoding: err, as: UTF8.self))")
        return String(decoding: out, as: UTF8.self)
    }
}
