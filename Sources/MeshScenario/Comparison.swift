import MeshCore

/// The comparison language of expectations: `">= 99%"`, `"< 300ms"`, `"== 0"`, `"> 0"`.
/// An operator (`==`, `!=`, `<`, `<=`, `>`, `>=`), then a number that is a count, a
/// percentage (`%`) or a duration (`ns`, `us`, `ms`, `s`, `m`). Values are kept in base
/// units: percent for percentages, nanoseconds for durations.
public struct Comparison: Sendable, Equatable, CustomStringConvertible {
    /// How measured and expected values compare.
    public enum Operator: String, Sendable, Equatable, CaseIterable {
        case equal = "=="
        case notEqual = "!="
        case lessOrEqual = "<="
        case greaterOrEqual = ">="
        case less = "<"
        case greater = ">"
    }

    /// What the number measures.
    public enum Unit: Sendable, Equatable {
        /// A plain number of things (requests, instances).
        case count
        /// A percentage, 0–100.
        case percent
        /// A duration in nanoseconds.
        case duration
    }

    public var op: Operator
    /// The bound in base units.
    public var value: Double
    public var unit: Unit

    public init(_ op: Operator, _ value: Double, unit: Unit) {
        self.op = op
        self.value = value
        self.unit = unit
    }

    /// Parses `text`; nil when it is not `OPERATOR NUMBER[UNIT]`.
    public static func parse(_ text: String) -> Comparison? {
        var rest = Substring(text).drop { $0 == " " }
        // Two-character operators first, so `<=` is not read as `<`.
        guard let op = Operator.allCases.first(where: { rest.hasPrefix($0.rawValue) }) else { return nil }
        rest = rest.dropFirst(op.rawValue.count).drop { $0 == " " }
        while rest.last == " " { rest.removeLast() }
        guard !rest.isEmpty else { return nil }
        if rest.hasSuffix("%") {
            guard let number = Double(rest.dropLast()), number.isFinite, number >= 0, number <= 100 else { return nil }
            return Comparison(op, number, unit: .percent)
        }
        if let number = Double(rest), number.isFinite, number >= 0 {
            return Comparison(op, number, unit: .count)
        }
        if let duration = Duration(meshbed: String(rest)) {
            return Comparison(op, Double(duration.meshbedNanoseconds), unit: .duration)
        }
        return nil
    }

    /// Whether `measured` (in base units) satisfies the comparison.
    public func holds(_ measured: Double) -> Bool {
        switch op {
        case .equal: return measured == value
        case .notEqual: return measured != value
        case .less: return measured < value
        case .lessOrEqual: return measured <= value
        case .greater: return measured > value
        case .greaterOrEqual: return measured >= value
        }
    }

    /// `>= 99%`, `< 300ms`, `== 0`.
    public var description: String { "\(op.rawValue) \(format(value))" }

    /// A measured value shown in this comparison's unit: `99.5%`, `12.3ms`, `42`.
    public func format(_ measured: Double) -> String {
        switch unit {
        case .count: return Self.number(measured)
        case .percent: return Self.number(measured) + "%"
        case .duration: return Self.duration(measured)
        }
    }

    /// `42`, `99.5`, `33.33`: at most two decimals, no trailing zeros.
    public static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        var text = String(Int((value * 100).rounded()))
        let negative = text.hasPrefix("-")
        if negative { text.removeFirst() }
        while text.count < 3 { text = "0" + text }
        var fraction = String(text.suffix(2))
        let whole = String(text.dropLast(2))
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return (negative ? "-" : "") + whole + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// A duration in nanoseconds as `850us`, `12.3ms`, `1.25s`.
    public static func duration(_ nanoseconds: Double) -> String {
        let value = max(0, nanoseconds)
        if value < 1_000 { return number(value) + "ns" }
        if value < 1_000_000 { return number(round1(value / 1_000)) + "us" }
        if value < 1_000_000_000 { return number(round1(value / 1_000_000)) + "ms" }
        return number(value / 1_000_000_000) + "s"
    }

    private static func round1(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}
