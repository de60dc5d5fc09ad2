import MeshCore
import MeshYAML

/// Outlier ejection and connection limits toward a destination (`circuitBreaker:` of a
/// policy). Every field is optional; the defaults are Envoy's.
public struct CircuitBreaker: Sendable, Equatable {
    /// `consecutiveErrors`: 5xx answers or connection failures in a row that eject an instance (default 5).
    public let consecutiveErrors: Int
    /// `baseEjectionTime`: how long the first ejection lasts; later ones last longer (default 30s).
    public let baseEjectionTime: Duration
    /// `maxEjectionPercent`: at most this share (0–100) of instances is ejected at once (default 10).
    public let maxEjectionPercent: Double
    /// `maxConnections`: connections to the destination per caller instance (default 1024).
    public let maxConnections: Int
    /// `maxPendingRequests`: requests waiting for a connection before new ones fail fast (default 1024).
    public let maxPendingRequests: Int

    public init(
        consecutiveErrors: Int = 5, baseEjectionTime: Duration = .seconds(30), maxEjectionPercent: Double = 10,
        maxConnections: Int = 1024, maxPendingRequests: Int = 1024
    ) {
        self.consecutiveErrors = consecutiveErrors
        self.baseEjectionTime = baseEjectionTime
        self.maxEjectionPercent = maxEjectionPercent
        self.maxConnections = maxConnections
        self.maxPendingRequests = maxPendingRequests
    }

    static let keys = ["consecutiveErrors", "baseEjectionTime", "maxEjectionPercent", "maxConnections", "maxPendingRequests"]

    /// Reads `circuitBreaker:` (`context` names the policy).
    static func read(_ node: YAMLNode, context: String, log: inout DiagnosticLog) -> CircuitBreaker? {
        guard let fields = MappingReader(node, key: "circuitBreaker", context: "in circuitBreaker \(context)", allowed: keys, log: &log) else {
            return nil
        }
        let defaults = CircuitBreaker()
        var valid = true
        func count(_ key: String, _ fallback: Int, log: inout DiagnosticLog) -> Int {
            guard let value = fields[key] else { return fallback }
            guard let read = ValueReader.integer(value, key: key, in: 1...Int.max, expected: "an integer ≥ 1", log: &log) else {
                valid = false
                return fallback
            }
            return read
        }
        let consecutiveErrors = count("consecutiveErrors", defaults.consecutiveErrors, log: &log)
        let maxConnections = count("maxConnections", defaults.maxConnections, log: &log)
        let maxPendingRequests = count("maxPendingRequests", defaults.maxPendingRequests, log: &log)
        var baseEjectionTime = defaults.baseEjectionTime
        if let value = fields["baseEjectionTime"] {
            if let read = ValueReader.duration(value, key: "baseEjectionTime", minimum: .nanoseconds(1), log: &log) {
                baseEjectionTime = read
            } else {
                valid = false
            }
        }
        var maxEjectionPercent = defaults.maxEjectionPercent
        if let value = fields["maxEjectionPercent"] {
            if let read = ValueReader.percent(value, key: "maxEjectionPercent", log: &log) { maxEjectionPercent = read } else { valid = false }
        }
        guard valid else { return nil }
        return CircuitBreaker(
            consecutiveErrors: consecutiveErrors, baseEjectionTime: baseEjectionTime, maxEjectionPercent: maxEjectionPercent,
            maxConnections: maxConnections, maxPendingRequests: maxPendingRequests)
    }
}
