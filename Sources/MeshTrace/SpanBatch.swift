import FoundationEssentials
import MeshCore

/// The body of `POST /v1/spans`, `{"spans": [Span...]}`, and of `GET /v1/traces/ID`.
public struct SpanBatch: Codable, Sendable, Equatable {
    public var spans: [Span]

    public init(spans: [Span]) {
        self.spans = spans
    }

    /// The spans of a JSON body; throws one line naming the first problem and where it is.
    public static func decode(_ body: [UInt8]) throws(SpanError) -> [Span] {
        guard !body.isEmpty else { throw SpanError("expected {\"spans\": [...]} in the body, got an empty body") }
        do {
            return try JSONDecoder().decode(SpanBatch.self, from: Data(body)).spans
        } catch let error as SpanError {
            throw error
        } catch let error as DecodingError {
            throw SpanError(describe(error))
        } catch {
            throw SpanError("the body is not valid JSON")
        }
    }

    /// One line for a decoding error, naming the field by its path.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "\(CodingPathText.text(context.codingPath + [key])): missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = CodingPathText.text(context.codingPath)
            return (field.isEmpty ? "the body" : field) + ": wrong type (" + expected(context.codingPath) + ")"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the body is not valid JSON" }
            return "\(CodingPathText.text(context.codingPath)): invalid value"
        @unknown default:
            return "the body does not have the shape {\"spans\": [...]}"
        }
    }

    /// What the field at `codingPath` holds.
    private static func expected(_ codingPath: [any CodingKey]) -> String {
        switch codingPath.last?.stringValue {
        case nil: return "expected an object {\"spans\": [...]}"
        case "spans": return "expected an array of spans"
        case "status", "attempts": return "expected an integer"
        case "startUnixNano", "endUnixNano", "timeUnixNano": return "expected nanoseconds since the epoch, an integer >= 0"
        case "events": return "expected an array of events"
        default: return codingPath.last?.intValue != nil ? "expected an object" : "expected a string"
        }
    }
}
