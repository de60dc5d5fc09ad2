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
        bytes.append(UInt8(ascii: " "))
        append(Self.number(value))
        bytes.append(10)
    }

    /// One sample with a whole value.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], integer value: Int) {
        append(name)
        appendLabels(labels)
        bytes.append(UInt8(ascii: " "))
        appendInteger(value)
        bytes.append(10)
    }

    /// A histogram's samples: the cumulative `_bucket` series (`le` from `bounds`, then
    /// `+Inf`), `_sum` and `_count` (the `+Inf` bucket, so they always agree). The label text
    /// is escaped once for all of them, and the bounds' text once per writer.
    public mutating func histogram(_ name: String, _ labels: [(String, String)], _ snapshot: HistogramSnapshot) {
        if snapshot.bounds != boundsText.bounds {
            boundsText = (snapshot.bounds, snapshot.bounds.map { Array(Self.number($0).utf8) })
        }
        // `name_bucket{labels,le="` once; each bucket adds its bound and count.
        var prefix: [UInt8] = []
        prefix.reserveCapacity(name.utf8.count + 64)
        prefix.append(contentsOf: name.utf8)
        let nameCount = prefix.count
        prefix.append(contentsOf: "_bucket{".utf8)
        let labelsStart = prefix.count
        for (index, (label, value)) in labels.enumerated() {
            if index > 0 { prefix.append(UInt8(ascii: ",")) }
            Self.appendLabel(label, value, into: &prefix)
        }
        let labelsEnd = prefix.count
        if !labels.isEmpty { prefix.append(UInt8(ascii: ",")) }
        prefix.append(contentsOf: "le=\"".utf8)
        var cumulative = 0
        for (index, text) in boundsText.texts.enumerated() {
            cumulative += snapshot.counts[index]
            bytes.append(contentsOf: prefix)
            bytes.append(contentsOf: text)
            appendBucketEnd(cumulative)
        }
        cumulative += snapshot.counts[snapshot.bounds.count]
        bytes.append(contentsOf: prefix)
        bytes.append(contentsOf: "+Inf".utf8)
        appendBucketEnd(cumulative)
        // `name_sum{labels} value` and `name_count{labels} value`.
        for (suffix, isSum) in [("_sum", true), ("_count", false)] {
            bytes.append(contentsOf: prefix[0..<nameCount])
            bytes.append(contentsOf: suffix.utf8)
            if !labels.isEmpty {
                bytes.append(UInt8(ascii: "{"))
                bytes.append(contentsOf: prefix[labelsStart..<labelsEnd])
                bytes.append(UInt8(ascii: "}"))
            }
            bytes.append(UInt8(ascii: " "))
            if isSum { append(Self.number(snapshot.sum)) } else { appendInteger(cumulative) }
            bytes.append(10)
        }
    }

    /// The last bounds a histogram used, and their text.
    private var boundsText: (bounds: [Double], texts: [[UInt8]]) = ([], [])

    private mutating func appendBucketEnd(_ count: Int) {
        bytes.append(contentsOf: "\"} ".utf8)
        appendInteger(count)
        bytes.append(10)
    }

    private mutating func appendLabels(_ labels: [(String, String)]) {
        guard !labels.isEmpty else { return }
        bytes.append(UInt8(ascii: "{"))
        for (index, (name, value)) in labels.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendLabel(name, value, into: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// `name="value"`, the value escaped (`\\`, `\"`, `\n`); copied whole when it needs none.
    private static func appendLabel(_ name: String, _ value: String, into bytes: inout [UInt8]) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: "=\"".utf8)
        if value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == 10 }) {
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
                case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
                case 10: bytes.append(contentsOf: "\\n".utf8)
                default: bytes.append(byte)
                }
            }
        } else {
            bytes.append(contentsOf: value.utf8)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A whole number in decimal, without a String.
    private mutating func appendInteger(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var rest = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 24 digits, written from the end
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            bytes.append(contentsOf: buffer[index...])
        }
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
