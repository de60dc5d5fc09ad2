/// One sample of a scrape in Prometheus's text format: metric name, labels, value.
public struct PrometheusSample: Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var value: Double

    public init(name: String, labels: [String: String], value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }

    /// The samples of a scrape (text format 0.0.4): `# ` lines and blank lines skipped, label
    /// values unescaped, an optional timestamp ignored. Throws on the first line that is not
    /// a sample, naming it.
    public static func parse(_ text: String) throws(MetricSelector.ParseError) -> [PrometheusSample] {
        var samples: [PrometheusSample] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var scanner = SelectorScanner(trimmed)
            guard let name = scanner.name() else { throw .init("line \(index + 1): expected a metric name") }
            var labels: [String: String] = [:]
            if scanner.take("{") {
                for (label, op, value) in try scanner.matchers(line: index + 1) {
                    guard op == "=" else { throw .init("line \(index + 1): a sample's labels are name=\"value\"") }
                    labels[label] = value
                }
            }
            scanner.skipSpaces()
            let fields = scanner.rest.split(separator: " ")
            guard let first = fields.first, let value = Self.number(first) else {
                throw .init("line \(index + 1): expected a value after \(name)")
            }
            samples.append(PrometheusSample(name: name, labels: labels, value: value))
        }
        return samples
    }

    private static func number(_ text: Substring) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }
}
