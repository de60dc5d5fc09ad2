/// How a caller's sidecar picks an instance of the destination (`loadBalancer:` of a policy).
public enum LoadBalancer: String, Sendable, Equatable, CaseIterable {
    /// Each instance in turn (default).
    case roundRobin
    /// The instance with the fewest requests in flight (of two picked at random).
    case leastRequest
    /// A random instance (from the seeded generator).
    case random
    /// The instance with the lowest exponentially weighted moving average latency.
    case ewma
}
