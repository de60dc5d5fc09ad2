import MeshYAML

/// A YAML document written as Swift literals for tests, laid out as block YAML: `node` has
/// the line and column each node would have in `text`, so tests can assert exact positions
/// without the YAML reader (and, once it exists, check that it agrees).
///
///     let doc: YNode = ["kind": "Topology", "services": ["web": ["replicas": 2]]]
///
///     1 kind: Topology
///     2 services:
///     3   web:
///     4     replicas: 2          <- the value `2` is at 4:15
///
/// Dictionary literals keep their order (and may repeat keys, like a broken file could).
/// Empty mappings and lists render as `{}` and `[]`; `.null` as nothing after the colon
/// (or dash), and sits where MeshYAML's reader puts an empty value: at that colon (or dash).
public indirect enum YNode: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, Sendable
{
    case scalar(String, YAMLScalarStyle)
    case list([YNode])
    case map([(String, YNode)])
    case null

    /// A string scalar: plain when it can be, otherwise double-quoted.
    public init(stringLiteral value: String) { self = .scalar(value, Self.canBePlain(value) ? .plain : .doubleQuoted) }
    public init(integerLiteral value: Int) { self = .scalar(String(value), .plain) }
    public init(floatLiteral value: Double) { self = .scalar(String(value), .plain) }
    public init(booleanLiteral value: Bool) { self = .scalar(String(value), .plain) }
    public init(arrayLiteral elements: YNode...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, YNode)...) { self = .map(elements) }

    /// A double-quoted scalar (a string even when it looks like a number).
    public static func quoted(_ text: String) -> YNode { .scalar(text, .doubleQuoted) }

    /// The node tree, with the positions it has in `text`.
    public var node: YAMLNode { laidOut.node }

    /// The block YAML text the positions refer to.
    public var text: String { laidOut.text }

    /// This node with `value` set for `key` (replacing it in place, or appended).
    public func setting(_ key: String, _ value: YNode) -> YNode {
        guard case .map(var pairs) = self else { return self }
        if let index = pairs.firstIndex(where: { $0.0 == key }) {
            pairs[index].1 = value
        } else {
            pairs.append((key, value))
        }
        return .map(pairs)
    }

    public var laidOut: (node: YAMLNode, text: String) {
        var layout = Layout()
        let node: YAMLNode
        switch self {
        case .map(let pairs) where !pairs.isEmpty:
            node = layout.mapping(pairs, column: 1, firstPrefix: "")
        case .list(let items) where !items.isEmpty:
            node = layout.sequence(items, column: 1, firstPrefix: "")
        default:
            layout.lines.append(Self.inline(self))
            node = Self.leaf(self, line: 1, column: 1)
        }
        return (node, layout.lines.joined(separator: "\n") + "\n")
    }

    private struct Layout {
        var lines: [String] = []

        mutating func mapping(_ pairs: [(String, YNode)], column: Int, firstPrefix: String) -> YAMLNode {
            var result: [YAMLPair] = []
            let first = YAMLMark(line: lines.count + 1, column: column)
            for (offset, (key, value)) in pairs.enumerated() {
                let prefix = offset == 0 ? firstPrefix : String(repeating: " ", count: column - 1)
                let line = lines.count + 1
                let keyStyle: YAMLScalarStyle = YNode.canBePlain(key) ? .plain : .doubleQuoted
                let keyText = YNode.render(key, keyStyle)
                let keyNode = YAMLNode(.scalar(key, keyStyle), mark: YAMLMark(line: line, column: column))
                let head = prefix + keyText + ":"
                let valueNode: YAMLNode
                switch value {
                case .map(let inner) where !inner.isEmpty:
                    lines.append(head)
                    valueNode = mapping(inner, column: column + 2, firstPrefix: String(repeating: " ", count: column + 1))
                case .list(let items) where !items.isEmpty:
                    lines.append(head)
                    valueNode = sequence(items, column: column + 2, firstPrefix: String(repeating: " ", count: column + 1))
                case .null:
                    lines.append(head)
                    valueNode = YNode.leaf(value, line: line, column: column + keyText.count)
                default:
                    lines.append(head + " " + YNode.inline(value))
                    valueNode = YNode.leaf(value, line: line, column: column + keyText.count + 2)
                }
                result.append(YAMLPair(key: keyNode, value: valueNode))
            }
            return YAMLNode(.mapping(result), mark: first)
        }

        mutating func sequence(_ items: [YNode], column: Int, firstPrefix: String) -> YAMLNode {
            var result: [YAMLNode] = []
            let first = YAMLMark(line: lines.count + 1, column: column)
            for (offset, item) in items.enumerated() {
                let prefix = (offset == 0 ? firstPrefix : String(repeating: " ", count: column - 1)) + "- "
                let line = lines.count + 1
                switch item {
                case .map(let inner) where !inner.isEmpty:
                    result.append(mapping(inner, column: column + 2, firstPrefix: prefix))
                case .list(let inner) where !inner.isEmpty:
                    result.append(sequence(inner, column: column + 2, firstPrefix: prefix))
                case .null:
                    lines.append(String(prefix.dropLast()))
                    result.append(YNode.leaf(item, line: line, column: column))
                default:
                    lines.append(prefix + YNode.inline(item))
                    result.append(YNode.leaf(item, line: line, column: column + 2))
                }
            }
            return YAMLNode(.sequence(result), mark: first)
        }
    }

    /// A scalar, null, `{}` or `[]` node at a position.
    private static func leaf(_ value: YNode, line: Int, column: Int) -> YAMLNode {
        let mark = YAMLMark(line: line, column: column)
        switch value {
        case .scalar(let text, let style): return YAMLNode(.scalar(text, style), mark: mark)
        case .null: return YAMLNode(.scalar("", .plain), mark: mark)
        case .map: return YAMLNode(.mapping([]), mark: mark)
        case .list: return YAMLNode(.sequence([]), mark: mark)
        }
    }

    /// The text of a scalar, null, `{}` or `[]`.
    private static func inline(_ value: YNode) -> String {
        switch value {
        case .scalar(let text, let style): return render(text, style)
        case .null: return ""
        case .map: return "{}"
        case .list: return "[]"
        }
    }

    private static func render(_ text: String, _ style: YAMLScalarStyle) -> String {
        guard style != .plain else { return text }
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    /// Whether `text` reads back as the same string when written plain (conservatively).
    static func canBePlain(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last, first != " ", last != " ", last != ":" else { return false }
        if "?:,[]{}#&*!|>'\"%@`".contains(first) { return false }
        if first == "-", text.count == 1 || text.dropFirst().first == " " { return false }
        return !text.contains(": ") && !text.contains(" #") && !text.contains(where: \.isNewline)
    }
}
