/// The load balancer of one destination on one event loop, as `policies.<dest>.loadBalancer`
/// names it (SPEC §3): one call shape for all four kinds, dispatched by a switch (no
/// existential, no allocation per pick).
///
/// The caller says which endpoint indices may take the request (`eligible`: the endpoints of
/// the chosen version that outlier detection has not ejected) and which to avoid when
/// another is eligible (`avoiding`: endpoints an earlier attempt of the same request used).
public enum LoadBalancer {
    /// The balancing policies, by their topology-file names.
    public enum Kind: String, Sendable, CaseIterable {
        /// `RoundRobinBalancer`: the default.
        case roundRobin
        /// `LeastRequestBalancer`: power of two choices over outstanding requests.
        case leastRequest
        /// `RandomBalancer`: uniform.
        case random
        /// `PeakEWMABalancer`: power of two choices over peak-EWMA latency × load.
        case ewma
    }

    /// Round robin.
    case roundRobin(RoundRobinBalancer)
    /// Uniformly random.
    case random(RandomBalancer)
    /// Least request, power of two choices.
    case leastRequest(LeastRequestBalancer)
    /// Peak EWMA, power of two choices.
    case ewma(PeakEWMABalancer)

    /// A fresh balancer of `kind` over `endpointCount` endpoints, with the default settings,
    /// starting at `now`.
    public init(kind: Kind, endpointCount: Int, now: UInt64) {
        switch kind {
        case .roundRobin: self = .roundRobin(RoundRobinBalancer(endpointCount: endpointCount))
        case .random: self = .random(RandomBalancer(endpointCount: endpointCount))
        case .leastRequest: self = .leastRequest(LeastRequestBalancer(endpointCount: endpointCount))
        case .ewma: self = .ewma(PeakEWMABalancer(endpointCount: endpointCount, now: now))
        }
    }

    /// Which policy this is.
    public var kind: Kind {
        switch self {
        case .roundRobin: .roundRobin
        case .random: .random
        case .leastRequest: .leastRequest
        case .ewma: .ewma
        }
    }

    /// The endpoint for the next attempt, or `nil` when no index is eligible. Never an
    /// `avoiding` index while an eligible index that is not avoided exists.
    public func pick<R: RandomNumberGenerator>(
        now: UInt64, using random: inout R, eligible: (Int) -> Bool, avoiding: (Int) -> Bool = { _ in false }
    ) -> Int? {
        switch self {
        case .roundRobin(let balancer): balancer.pick(eligible: eligible, avoiding: avoiding)
        case .random(let balancer): balancer.pick(using: &random, eligible: eligible, avoiding: avoiding)
        case .leastRequest(let balancer): balancer.pick(using: &random, eligible: eligible, avoiding: avoiding)
        case .ewma(let balancer): balancer.pick(now: now, using: &random, eligible: eligible, avoiding: avoiding)
        }
    }

    /// Tells the balancer a request was sent to `index`.
    public func started(_ index: Int) {
        switch self {
        case .roundRobin, .random: break
        case .leastRequest(let balancer): balancer.started(index)
        case .ewma(let balancer): balancer.started(index)
        }
    }

    /// Tells the balancer the request to `index` ended after `latency` nanoseconds, at `now`.
    public func finished(_ index: Int, latency: UInt64, now: UInt64) {
        switch self {
        case .roundRobin, .random: break
        case .leastRequest(let balancer): balancer.finished(index)
        case .ewma(let balancer): balancer.finished(index, latency: latency, now: now)
        }
    }
}
