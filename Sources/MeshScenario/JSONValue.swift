import FoundationEssentials

/// Any JSON document as a value, for the few places that read documents whose shape they
/// only partly know (a sidecar's `/stats` and `/config`) or write one built field by field
/// (the scenario report). Decoded and encoded with FoundationEssentials' JSONDecoder and
/// JSONEncoder, so meshbed needs no JSONSerialization (and links no CoreFoundation).
enum JSONValue: Codable, Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The document in `bytes` (nil when it is not JSON).
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// The members of an object (nil for anything else).
    var object: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// A number as an integer, truncated toward zero; true and false as 1 and 0; nil for
    /// anything else (or a number out of Int's range).
    var integerValue: Int? {
        switch self {
        case .integer(let value): return value
        case .number(let value): return Int(exactly: value.rounded(.towardZero))
        case .bool(let value): return value ? 1 : 0
        default: return nil
        }
    }

    /// The document indented by two spaces, keys sorted, `/` not escaped: the layout the
    /// scenario report has always had.
    var prettyPrinted: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
