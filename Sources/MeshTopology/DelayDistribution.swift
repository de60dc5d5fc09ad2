import MeshCore
import MeshYAML

/// How long a `delay` fault holds a request: a fixed time, or a draw from a distribution
/// (delays in real systems have tails). Written as a duration (`delay: 100ms`) or a mapping:
///
///     delay: {distribution: uniform, min: 10ms, max: 50ms}
///     delay: {distribution: normal, mean: 100ms, stddev: 20ms}    # draws below 0 are 0
///     delay: {distribution: pareto, scale: 10ms, shape: 1.5}      # ≥ scale, heavy tail
///
/// Every draw is capped at `maximum` (one hour), so a heavy tail cannot hold a request
/// for days.
public enum DelayDistribution: Sendable, Equatable, CustomStringConvertible {
    /// Always this long.
    case fixed(Duration)
    /// Uniform between `min` and `max` (inclusive of `min`).
    case uniform(min: Duration, max: Duration)
    /// Normal with this mean and standard deviation, never below zero.
    case normal(mean: Duration, stddev: Duration)
    /// Pareto (type I): at least `scale`, with tail index `shape` (smaller is heavier; the
    /// mean is finite only above 1: scale·shape/(shape−1)).
    case pareto(scale: Duration, shape: Double)

    /// The longest delay any draw gives.
    public static let maximum = Duration.seconds(3600)

    /// The distributions' names as written after `distribution:`.
    public static let names = ["uniform", "normal", "pareto"]

    /// The mapping form's keys per distribution.
    static func keys(for name: String) -> [String] {
        switch name {
        case "uniform": ["distribution", "min", "max"]
        case "normal": ["distribution", "mean", "stddev"]
        case "pareto": ["distribution", "scale", "shape"]
        default: ["distribution"]
        }
    }

    /// The form it is written in: `100ms`, `{distribution: normal, mean: 100ms, stddev: 20ms}`.
    public var description: String {
        switch self {
        case .fixed(let delay): delay.meshbedDescription
        case .uniform(let min, let max): "{distribution: uniform, min: \(min.meshbedDescription), max: \(max.meshbedDescription)}"
        case .normal(let mean, let stddev): "{distribution: normal, mean: \(mean.meshbedDescription), stddev: \(stddev.meshbedDescription)}"
        case .pareto(let scale, let shape): "{distribution: pareto, scale: \(scale.meshbedDescription), shape: \(shape)}"
        }
    }

    /// Reads `delay:` (a duration or a distribution mapping); nil after logging.
    static func read(_ node: YAMLNode, log: inout DiagnosticLog) -> DelayDistribution? {
        guard node.pairs != nil else {
            return ValueReader.duration(node, key: "delay", minimum: .nanoseconds(1), log: &log).map { .fixed($0) }
        }
        guard let nameNode = node.value(for: "distribution") else {
            log.error("missing key 'distribution' in delay (one of \(names.joined(separator: ", ")), or write a duration)", at: node.mark)
            return nil
        }
        guard let name = nameNode.scalarText, !nameNode.isNull, names.contains(name) else {
            let hint = nameNode.scalarText.map { Suggestion.hint(for: $0, among: names) } ?? ""
            ValueReader.fail("distribution", expected: "one of " + names.joined(separator: ", "), node: nameNode, hint: hint, log: &log)
            return nil
        }
        guard let fields = MappingReader(node, key: "delay", context: "in a \(name) delay", allowed: keys(for: name), log: &log) else { return nil }
        var valid = true
        func duration(_ key: String, minimum: Duration = .zero) -> Duration {
            guard let value = fields.required(key, log: &log), let read = ValueReader.duration(value, key: key, minimum: minimum, log: &log) else {
                valid = false
                return .zero
            }
            return read
        }
        let result: DelayDistribution
        switch name {
        case "uniform":
            let min = duration("min"), max = duration("max", minimum: .nanoseconds(1))
            if valid, min > max, let node = fields["max"] {
                ValueReader.fail("max", expected: "a duration of at least min (\(min.meshbedDescription))", node: node, log: &log)
                valid = false
            }
            result = .uniform(min: min, max: max)
        case "normal":
            result = .normal(mean: duration("mean", minimum: .nanoseconds(1)), stddev: duration("stddev"))
        default:
            let scale = duration("scale", minimum: .nanoseconds(1))
            var shape = 0.0
            if let value = fields.required("shape", log: &log) {
                if let read = value.double, read > 0, read <= 100 {
                    shape = read
                } else {
                    ValueReader.fail("shape", expected: "a number greater than 0 (at most 100), like 1.5", node: value, log: &log)
                    valid = false
                }
            } else {
                valid = false
            }
            result = .pareto(scale: scale, shape: shape)
        }
        return valid ? result : nil
    }
}
