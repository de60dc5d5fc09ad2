import MeshCore
import MeshYAML

/// How an echo app misbehaves on purpose (`behavior:` of a version, or of a service without versions).
public struct Behavior: Sendable, Equatable {
    /// `errorRate`: percentage (0–100) of requests answered with 500. Default 0.
    public let errorRate: Double
    /// `latency`: added to every response. Default 0s.
    public let latency: Duration

    /// No errors, no added latency.
    public static let none = Behavior()

    public init(errorRate: Double = 0, latency: Duration = .zero) {
        self.errorRate = errorRate
        self.latency = latency
    }

    static let keys = ["errorRate", "latency"]

    /// Reads a `behavior:` mapping; `context` names its owner (`of service 'ratings'`).
    static func read(_ node: YAMLNode, context: String, log: inout DiagnosticLog) -> Behavior? {
        guard let fields = MappingReader(node, key: "behavior", context: "in behavior \(context)", allowed: keys, log: &log) else {
            return nil
        }
        var valid = true
        var errorRate = 0.0
        if let value = fields["errorRate"] {
            if let rate = ValueReader.percent(value, key: "errorRate", log: &log) { errorRate = rate } else { valid = false }
        }
        var latency = Duration.zero
        if let value = fields["latency"] {
            if let duration = ValueReader.duration(value, key: "latency", log: &log) { latency = duration } else { valid = false }
        }
        return valid ? Behavior(errorRate: errorRate, latency: latency) : nil
    }
}
