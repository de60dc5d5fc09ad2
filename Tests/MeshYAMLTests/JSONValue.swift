import Foundation
import MeshYAML

/// Data as JSON sees it, to compare what the reader built with a case's `in.json`
/// (numbers compare numerically).
indirect enum JSONValue: Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? "\(Int(n))" : "\(n)"
        case .string(let s): "\"\(s)\""
        case .array(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .object(let members):
            "{" + members.keys.sorted().map { "\"\($0)\": \(members[$0]!)" }.joined(separator: ", ") + "}"
        }
    }

    // MARK: - From YAML, through the core schema

    /// A node resolved through the core schema: plain scalars may be null, booleans or
    /// numbers; quoted and block scalars are strings; `!!str` and other tags force a string,
    /// `!!int`/`!!float`/`!!bool`/`!!null` resolve the text as that type.
    init(_ node: YAMLNode) {
        switch node.kind {
        case .scalar(let text, let style):
            let plain = YAMLNode(.scalar(text, .plain), mark: node.mark, tag: node.tag)
            switch node.tag {
            case nil where style == .plain:
                if node.isNull {
                    self = .null
                } else if let b = node.bool {
                    self = .bool(b)
                } else if let d = node.double {
                    self = .number(d)
                } else {
                    self = .string(text)
                }
            case "!!null": self = .null
            case "!!bool": self = plain.bool.map(JSONValue.bool) ?? .string(text)
            case "!!int", "!!float": self = plain.double.map(JSONValue.number) ?? .string(text)
            default: self = .string(text)
            }
        case .sequence(let items):
            self = .array(items.map(JSONValue.init))
        case .mapping(let pairs):
            var members: [String: JSONValue] = [:]
            for pair in pairs {
                members[pair.key.scalarText ?? "\(JSONValue(pair.key))"] = JSONValue(pair.value)
            }
            self = .object(members)
        }
    }

    // MARK: - From JSON text

    /// What Foundation's `JSONSerialization` returned.
    init?(foundation value: Any) {
        switch value {
        case is NSNull:
            self = .null
        case let s as String:
            self = .string(s)
        case let n as NSNumber:
            self = String(cString: n.objCType) == "c" ? .bool(n.boolValue) : .number(n.doubleValue)
        case let items as [Any]:
            var values: [JSONValue] = []
            for item in items {
                guard let v = JSONValue(foundation: item) else { return nil }
                values.append(v)
            }
            self = .array(values)
        case let members as [String: Any]:
            var values: [String: JSONValue] = [:]
            for (k, item) in members {
                guard let v = JSONValue(foundation: item) else { return nil }
                values[k] = v
            }
            self = .object(values)
        default:
            return nil
        }
    }

    /// Every JSON value in `text`, which may hold several values one after another (one
    /// per YAML document), each parsed by `JSONSerialization`.
    static func values(inConcatenated text: String) throws -> [JSONValue] {
        var values: [JSONValue] = []
        for piece in split(Array(text.utf8)) {
            let object = try JSONSerialization.jsonObject(with: Data(piece), options: [.fragmentsAllowed])
            guard let value = JSONValue(foundation: object) else {
                throw CocoaError(.propertyListReadCorrupt)
            }
            values.append(value)
        }
        return values
    }

    /// Splits concatenated JSON values: containers by bracket depth (strings skipped),
    /// strings by their closing quote, literals and numbers by the whitespace after them.
    private static func split(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var pieces: [ArraySlice<UInt8>] = []
        var i = 0
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
        func skipString() {
            i += 1
            while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
                i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
            }
            i += 1
        }
        while i < bytes.count {
            if isSpace(bytes[i]) {
                i += 1
                continue
            }
            let start = i
            switch bytes[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                repeat {
                    switch bytes[i] {
                    case UInt8(ascii: "\""):
                        skipString()
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                    default: break
                    }
                    i += 1
                } while i < bytes.count && depth > 0
            case UInt8(ascii: "\""):
                skipString()
            default:
                while i < bytes.count && !isSpace(bytes[i]) { i += 1 }
            }
            pieces.append(bytes[start..<min(i, bytes.count)])
        }
        return pieces
    }
}
