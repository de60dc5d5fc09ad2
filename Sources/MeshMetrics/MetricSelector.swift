/// A PromQL instant-vector selector without functions: `name{label="value",label!="value"}`
/// (the name alone, or the braces alone, may be left out). It picks samples of a scrape;
/// scenario expectations add up what it picks on every sidecar. Regular-expression matchers
/// (`=~`, `!~`) are refused as not supported yet.
public struct MetricSelector: Sendable, Equatable, CustomStringConvertible {
    /// A one-line reason a selector or a scrape does not parse.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// One label condition.
    public struct Matcher: Sendable, Equatable {
        public var label: String
        /// `=` or `!=`.
        public var equal: Bool
        public var value: String
    }

    /// The metric name; nil: any.
    public var name: String?
    public var matchers: [Matcher]

    /// Parses `text`.
    public init(parsing text: String) throws(ParseError) {
        var scanner = SelectorScanner(Substring(text))
        scanner.skipSpaces()
        name = scanner.name()
        matchers = []
        if scanner.take("{") {
            for (label, op, value) in try scanner.matchers(line: nil) {
                switch op {
                case "=": matchers.append(Matcher(label: label, equal: true, value: value))
                case "!=": matchers.append(Matcher(label: label, equal: false, value: value))
                default: throw ParseError("label \(label): '\(op)' matchers are not supported yet (use = or !=)")
                }
            }
        }
        scanner.skipSpaces()
        guard scanner.rest.isEmpty else { throw ParseError("unexpected '\(scanner.rest)' after the selector (functions and operators are not supported)") }
        guard name != nil || !matchers.isEmpty else { throw ParseError("expected a metric name or {label=\"value\"}") }
    }

    /// Whether `sample` is one it picks.
    public func matches(_ sample: PrometheusSample) -> Bool {
        if let name, sample.name != name { return false }
        for matcher in matchers where (sample.labels[matcher.label] ?? "" == matcher.value) != matcher.equal { return false }
        return true
    }

    /// The sum of the samples it picks.
    public func sum(_ samples: [PrometheusSample]) -> Double {
        samples.reduce(0) { matches($1) ? $0 + $1.value : $0 }
    }

    public var description: String {
        let labels = matchers.map { "\($0.label)\($0.equal ? "=" : "!=")\"\($0.value)\"" }.joined(separator: ",")
        return (name ?? "") + (matchers.isEmpty ? "" : "{\(labels)}")
    }
}

/// Reads names and label matchers from selectors and sample lines.
struct SelectorScanner {
    private(set) var rest: Substring

    init(_ text: Substring) { rest = text }

    mutating func skipSpaces() { rest = rest.drop { $0 == " " || $0 == "\t" } }

    mutating func take(_ character: Character) -> Bool {
        guard rest.first == character else { return false }
        rest = rest.dropFirst()
        return true
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    mutating func name() -> String? {
        guard let first = rest.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return nil }
        let end = rest.firstIndex { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":")) } ?? rest.endIndex
        defer { rest = rest[end...] }
        return String(rest[..<end])
    }

    /// `label OP "value", ... }` after the `{`.
    mutating func matchers(line: Int?) throws(MetricSelector.ParseError) -> [(String, String, String)] {
        let at = line.map { "line \($0): " } ?? ""
        var result: [(String, String, String)] = []
        while true {
            skipSpaces()
            if take("}") { return result }
            guard let label = name() else { throw .init("\(at)expected a label name in {...}") }
            skipSpaces()
            let op: String
            if rest.hasPrefix("!=") { op = "!=" } else if rest.hasPrefix("=~") { op = "=~" } else if rest.hasPrefix("!~") { op = "!~" } else if rest.hasPrefix("=") { op = "=" } else {
                throw .init("\(at)expected =, != after label \(label)")
            }
            rest = rest.dropFirst(op.count)
            skipSpaces()
            guard take("\"") else { throw .init("\(at)expected a quoted value for label \(label)") }
            var value = ""
            while true {
                guard let character = rest.first else { throw .init("\(at)unterminated value of label \(label)") }
                rest = rest.dropFirst()
                if character == "\"" { break }
                if character == "\\" {
                    guard let escaped = rest.first else { throw .init("\(at)unterminated value of label \(label)") }
                    rest = rest.dropFirst()
                    value.append(escaped == "n" ? "\n" : escaped)
                } else {
                    value.append(character)
                }
            }
            result.append((label, op, value))
            skipSpaces()
            if take(",") { continue }
            guard take("}") else { throw .init("\(at)expected , or } after label \(label)") }
            return result
        }
    }
}
