/// Renders metrics in Prometheus's text exposition format, version 0.0.4
/// (`text/plain; version=0.0.4`): each family's `# HELP` and `# TYPE` once, then its
/// samples, label values escaped (`\\`, `\"`, `\n`), numbers as Prometheus prints them
/// (`+Inf`, shortest exact decimals).
public struct PrometheusWriter {
    /// What a family is, for its `# TYPE` line.
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// The content type of a scrape's answer.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The text so far.
    public private(set) var bytes: [UInt8] = []

    public init() {
        bytes.reserveCapacity(4096)
    }

    /// Starts a family: its `# HELP` (one line; backslashes and line breaks escaped) and `# TYPE`.
    public mutating func family(_ name: String, _ kind: Kind, help: String) {
        append("# HELP \(name) ")
        for scalar in help.unicodeScalars {
            switch scalar {
            case "\\": append("\\\\")
            case "\n": append("\\n")
            default: bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        append("\n# TYPE \(name) \(kind.rawValue)\n")
    }

    /// One sample: `name{label="value",...} value`.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        append(name)
        appendLabels(labels)
        append(" ")
        append(Self.number(value))
        bytes.append(10)
    }

    /// One sample with a whole value.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], integer value: Int) {
        append(name)
        appendLabels(labels)
        append(" ")
        append(String(value))
        bytes.append(10)
    }

    /// A histogram's samples: the cumulative `_bucket` series (`le` from `bounds`, then
    /// `+Inf`), `_sum` and `_count` (the `+Inf` bucket, so they always agree).
    public mutating func histogram(_ name: String, _ labels: [(String, String)], _ snapshot: HistogramSnapshot) {
        var cumulative = 0
        for (index, bound) in snapshot.bounds.enumerated() {
            cumulative += snapshot.counts[index]
            sample(name + "_bucket", labels + [("le", Self.number(bound))], integer: cumulative)
        }
        cumulative += snapshot.counts[snapshot.bounds.count]
        sample(name + "_bucket", labels + [("le", "+Inf")], integer: cumulative)
        sample(name + "_sum", labels, snapshot.sum)
        sample(name + "_count", labels, integer: cumulative)
    }

    private mutating func appendLabels(_ labels: [(String, String)]) {
        guard !labels.isEmpty else { return }
        bytes.append(UInt8(ascii: "{"))
        for (index, (name, value)) in labels.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            append(name)
            append("=\"")
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): append("\\\\")
                case UInt8(ascii: "\""): append("\\\"")
                case 10: append("\\n")
                default: bytes.append(byte)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// `value` as Prometheus writes it: `+Inf`, `-Inf`, `NaN`, whole numbers without a
    /// fraction, others in Swift's shortest round-trip form.
    public static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
