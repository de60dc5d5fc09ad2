// MeshYAML: a small, strict YAML reader for topology and scenario files. It builds a
// tree of nodes, each with the line and column where it starts, so every later error
// can point at the exact place. No I/O and no Foundation.

/// A position in a YAML text: 1-based line and column (columns count Unicode scalars).
public struct YAMLMark: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// How a scalar was written, which decides how it resolves (a quoted `"true"` is a string).
public enum YAMLScalarStyle: Sendable, Equatable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// One node of a YAML document.
public struct YAMLNode: Sendable {
    /// What the node holds.
    public enum Kind: Sendable {
        /// A scalar's text after unescaping and folding, and how it was written.
        case scalar(String, YAMLScalarStyle)
        case sequence([YAMLNode])
        /// Key-value pairs in document order (duplicates are rejected by the parser).
        case mapping([YAMLPair])
    }

    public var kind: Kind
    /// Where the node starts.
    public var mark: YAMLMark
    /// An explicit tag such as `!!str`, if one was written.
    public var tag: String?

    public init(_ kind: Kind, mark: YAMLMark, tag: String? = nil) {
        self.kind = kind
        self.mark = mark
        self.tag = tag
    }
}

/// A mapping entry.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A YAML text that could not be read, with where and why.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var mark: YAMLMark

    public init(_ message: String, at mark: YAMLMark) {
        self.message = message
        self.mark = mark
    }

    /// `LINE:COLUMN: message`.
    public var description: String { "\(mark): \(message)" }
}

extension YAMLNode {
    /// The scalar's text when the node is a scalar.
    public var scalarText: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }

    /// The mapping's pairs when the node is a mapping.
    public var pairs: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// The sequence's items when the node is a sequence.
    public var items: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    /// The value for a scalar key in a mapping, with its pair.
    public func value(for key: String) -> YAMLNode? {
        pairs?.first { $0.key.scalarText == key }?.value
    }

    /// Core-schema null: a plain `null`, `Null`, `NULL`, `~` or empty scalar (or `!!null`).
    public var isNull: Bool {
        guard case .scalar(let text, let style) = kind, style == .plain, tag == nil || tag == "!!null" else {
            return tag == "!!null"
        }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// Core-schema boolean of a plain scalar (`true`/`True`/`TRUE`, `false`/...).
    public var bool: Bool? {
        guard case .scalar(let text, .plain) = kind, tag == nil || tag == "!!bool" else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// Core-schema integer of a plain scalar (decimal, `0o` octal, `0x` hex, optional sign).
    public var int: Int? {
        guard case .scalar(let text, .plain) = kind, tag == nil || tag == "!!int" else { return nil }
        var body = Substring(text)
        var negative = false
        if body.first == "-" || body.first == "+" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        let value: Int?
        if body.hasPrefix("0x") {
            let digits = body.dropFirst(2)
            value = !digits.isEmpty && digits.allSatisfy(\.isHexDigit) ? Int(digits, radix: 16) : nil
        } else if body.hasPrefix("0o") {
            let digits = body.dropFirst(2)
            value = !digits.isEmpty && digits.allSatisfy({ $0 >= "0" && $0 <= "7" }) ? Int(digits, radix: 8) : nil
        } else {
            value = !body.isEmpty && body.allSatisfy({ $0.isASCII && $0.isNumber }) ? Int(body) : nil
        }
        guard let value else { return nil }
        return negative ? -value : value
    }

    /// Core-schema float of a plain scalar (also accepts integers; `.inf`, `-.inf`, `.nan`).
    public var double: Double? {
        if let int { return Double(int) }
        guard case .scalar(let text, .plain) = kind, tag == nil || tag == "!!float" else { return nil }
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        let allowed = text.allSatisfy { $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }
        guard allowed, text.contains(where: \.isNumber) else { return nil }
        return Double(text)
    }
}
