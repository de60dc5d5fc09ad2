/// Several scrapes added up into one: every counter and histogram sample summed by name
/// and label set over the scrapes, each family kept with its `# HELP` and `# TYPE`, in the
/// order first seen. Gauges are left out (a sum of config versions or certificate expiries
/// means nothing; each sidecar's own `/metrics` has them), as are untyped samples. The
/// control plane's aggregate view of the mesh.
public struct PrometheusAggregate {
    private struct Family {
        var help: String?
        var kind: PrometheusWriter.Kind
        /// Sample keys in first-seen order, and their sums.
        var order: [SampleKey] = []
        var sums: [SampleKey: Double] = [:]
    }

    private struct SampleKey: Hashable {
        var name: String
        var labels: [String: String]
    }

    private var families: [String: Family] = [:]
    private var familyOrder: [String] = []
    /// Scrapes added, and those that did not parse (left out, whole).
    public private(set) var scrapes = 0
    public private(set) var unreadable = 0

    public init() {}

    /// Adds one scrape (text format 0.0.4); one that does not parse is counted and left out.
    public mutating func add(_ text: String) {
        guard let samples = try? PrometheusSample.parse(text) else {
            unreadable += 1
            return
        }
        scrapes += 1
        var kinds: [String: PrometheusWriter.Kind] = [:]
        var helps: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("# ") {
            let words = line.split(separator: " ", maxSplits: 3)
            guard words.count >= 3 else { continue }
            let name = String(words[2])
            if words[1] == "TYPE", words.count == 4, let kind = PrometheusWriter.Kind(rawValue: String(words[3])) {
                kinds[name] = kind
            } else if words[1] == "HELP" {
                helps[name] = words.count == 4 ? String(words[3]) : ""
            }
        }
        for sample in samples {
            guard let family = Self.family(of: sample.name, kinds: kinds), let kind = kinds[family], kind != .gauge else { continue }
            if families[family] == nil {
                families[family] = Family(help: helps[family], kind: kind)
                familyOrder.append(family)
            }
            let key = SampleKey(name: sample.name, labels: sample.labels)
            if families[family]!.sums[key] == nil { families[family]!.order.append(key) }
            families[family]!.sums[key, default: 0] += sample.value
        }
    }

    /// The family a sample belongs to: its name, or for a histogram's `_bucket`, `_sum` and
    /// `_count` the histogram's.
    private static func family(of name: String, kinds: [String: PrometheusWriter.Kind]) -> String? {
        if kinds[name] != nil { return name }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if kinds[base] == .histogram { return base }
        }
        return nil
    }

    /// The sums as one scrape.
    public func render() -> [UInt8] {
        var writer = PrometheusWriter()
        for name in familyOrder {
            guard let family = families[name] else { continue }
            writer.family(name, family.kind, help: family.help.map(Self.unescapedHelp) ?? name)
            for key in family.order {
                let labels = key.labels.sorted { Self.labelOrder($0.key, $1.key) }.map { ($0.key, $0.value) }
                writer.sample(key.name, labels, family.sums[key] ?? 0)
            }
        }
        return writer.bytes
    }

    /// `le` last, the others by name (as Prometheus prints them, buckets stay readable).
    private static func labelOrder(_ a: String, _ b: String) -> Bool {
        if a == "le" || b == "le" { return b == "le" && a != "le" }
        return a < b
    }

    /// A `# HELP` text as the writer takes it (it escapes `\` and line breaks again).
    private static func unescapedHelp(_ text: String) -> String {
        var out = ""
        var escaped = false
        for character in text {
            if escaped {
                out.append(character == "n" ? "\n" : character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                out.append(character)
            }
        }
        return out
    }
}
