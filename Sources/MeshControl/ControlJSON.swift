import FoundationEssentials
import MeshCore

/// JSON in and out of the control plane's API: compact, sorted keys (stable bytes for
/// tests and diffs), and one-line messages for bodies that do not decode.
enum ControlJSON {
    /// `value` as compact JSON with sorted keys.
    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            return self.error("could not encode the response: \(error)")
        }
    }

    /// `{"error":"message"}`.
    static func error(_ message: String) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(["error": message])).map { Array($0) } ?? Array(#"{"error":"internal error"}"#.utf8)
    }

    /// Decodes a request body as `type`; `what` names it in messages ("heartbeat").
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], what: String) throws(ControlError) -> T {
        guard !body.isEmpty else { throw .badRequest("expected a JSON \(what) in the body, got an empty body") }
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch let error as DecodingError {
            throw .badRequest("invalid \(what): \(describe(error))")
        } catch {
            throw .badRequest("invalid \(what): the body is not valid JSON")
        }
    }

    /// One line saying what is wrong, naming the field by its path (`split.v1`, `[0].headers`).
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(CodingPathText.text(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            let null = context.debugDescription.contains("found null") ? ", got null" : ""
            return "\(fieldLabel(context.codingPath))expected \(noun(type))\(null)"
        case .valueNotFound(let type, let context):
            return "\(fieldLabel(context.codingPath))expected \(noun(type)), got null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the body is not valid JSON" }
            return "\(fieldLabel(context.codingPath))invalid value"
        @unknown default:
            return "the body does not have the expected shape"
        }
    }

    private static func fieldLabel(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty ? "" : "field '\(CodingPathText.text(codingPath))': "
    }

    private static func noun(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is Bool.Type: return "true or false"
        case is [Any].Type: return "an array"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Dictionary") { return "an object" }
            if name.hasPrefix("Array") { return "an array" }
            return "an object"
        }
    }
}
