import FoundationEssentials
import MeshOrchestrator
import MeshTrace

/// The control plane's trace API as `meshbed trace` calls it: `GET /v1/traces?limit=N` and
/// `GET /v1/traces/ID`, with the control plane's refusals as failures carrying an exit status.
enum TraceAPI {
    /// A call that did not give what was asked: the message (the control plane's own, when it
    /// answered) and the exit status (1 no answer, 2 refused as bad input, 3 no such trace).
    struct Failure: Error {
        let exitCode: Int32
        let message: String
        init(exitCode: Int32, _ message: String) {
            self.exitCode = exitCode
            self.message = message
        }
    }

    /// The summaries of the `limit` most recent traces, newest first.
    static func traces(limit: Int, control: String) throws(Failure) -> [TraceSummary] {
        struct List: Decodable { var traces: [TraceSummary] }
        return try get("/v1/traces?limit=\(limit)", control: control, as: List.self).traces
    }

    /// The spans of trace `id`, by start time.
    static func trace(_ id: String, control: String) throws(Failure) -> [Span] {
        let spans = try get("/v1/traces/" + id, control: control, as: SpanBatch.self).spans
        guard !spans.isEmpty else { throw Failure(exitCode: TraceCommand.notFoundExitCode, "trace \(id) has no spans") }
        return spans
    }

    /// `value` as compact JSON with sorted keys, as the control plane writes it.
    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { Array($0) } ?? []
    }

    /// A refusal's body, `{"error": "..."}`.
    private struct Refusal: Decodable { var error: String }

    private static func get<T: Decodable>(_ path: String, control: String, as type: T.Type) throws(Failure) -> T {
        guard let (status, body) = HTTPProbe.get(address: control, path: path, timeout: .seconds(10)) else {
            throw Failure(exitCode: 1, "the control plane at \(control) did not answer")
        }
        guard status == 200 else {
            let message = (try? JSONDecoder().decode(Refusal.self, from: Data(body)))?.error ?? "HTTP \(status)"
            throw Failure(exitCode: status == 404 ? TraceCommand.notFoundExitCode : (400..<500).contains(status) ? 2 : 1, message)
        }
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw Failure(exitCode: 1, "the control plane's answer to \(path) does not decode: \(error)")
        }
    }
}
