import MeshCore
import MeshYAML

/// How callers treat one destination (`policies: {SERVICE: policy}`): timeout, retries,
/// circuit breaking and load balancing. Every field is optional.
public struct Policy: Sendable, Equatable {
    /// `timeout`: the limit of the whole request, retries included; `nil` for none.
    public let timeout: Duration?
    /// `retries`; `nil` for no retries.
    public let retries: RetryPolicy?
    /// `circuitBreaker`; `nil` for no ejection and no limits.
    public let circuitBreaker: CircuitBreaker?
    /// `loadBalancer`, default `roundRobin`.
    public let loadBalancer: LoadBalancer

    public init(timeout: Duration? = nil, retries: RetryPolicy? = nil, circuitBreaker: CircuitBreaker? = nil, loadBalancer: LoadBalancer = .roundRobin) {
        self.timeout = timeout
        self.retries = retries
        self.circuitBreaker = circuitBreaker
        self.loadBalancer = loadBalancer
    }

    static let keys = ["timeout", "retries", "circuitBreaker", "loadBalancer"]

    /// Reads the policy for `destination`.
    static func read(_ node: YAMLNode, destination: String, log: inout DiagnosticLog) -> Policy? {
        let context = "of policy for '\(destination)'"
        guard let fields = MappingReader(node, key: destination, context: "in policy for '\(destination)'", allowed: keys, log: &log) else {
            return nil
        }
        var valid = true
        var timeout: Duration?
        if let value = fields["timeout"] {
            timeout = ValueReader.duration(value, key: "timeout", minimum: .nanoseconds(1), log: &log)
            valid = valid && timeout != nil
        }
        var retries: RetryPolicy?
        if let value = fields["retries"] {
            retries = RetryPolicy.read(value, context: context, log: &log)
            valid = valid && retries != nil
        }
        var circuitBreaker: CircuitBreaker?
        if let value = fields["circuitBreaker"] {
            circuitBreaker = CircuitBreaker.read(value, context: context, log: &log)
            valid = valid && circuitBreaker != nil
        }
        var loadBalancer = LoadBalancer.roundRobin
        if let value = fields["loadBalancer"] {
            if let read = ValueReader.choice(value, key: "loadBalancer", as: LoadBalancer.self, log: &log) { loadBalancer = read } else { valid = false }
        }
        return valid ? Policy(timeout: timeout, retries: retries, circuitBreaker: circuitBreaker, loadBalancer: loadBalancer) : nil
    }
}
