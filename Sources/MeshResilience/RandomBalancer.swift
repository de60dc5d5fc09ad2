/// A uniformly random candidate endpoint per pick (Istio's `RANDOM`, Envoy's `RANDOM`).
///
/// Stateless: the randomness comes from the caller's generator, `SeededRandom` on the data
/// path and in tests, so a seed replays the same choices.
public struct RandomBalancer: Sendable {
    /// The number of endpoints, indices `0..<endpointCount`.
    public let endpointCount: Int

    /// A balancer over `endpointCount` endpoints.
    public init(endpointCount: Int) {
        self.endpointCount = Swift.max(endpointCount, 0)
    }

    /// A candidate drawn uniformly (an `eligible` index not `avoiding` if there is one, else
    /// an `eligible` one); `nil` when no index is eligible.
    public func pick<R: RandomNumberGenerator>(
        using random: inout R, eligible: (Int) -> Bool, avoiding: (Int) -> Bool = { _ in false }
    ) -> Int? {
        let index = CandidateScan.one(count: endpointCount, using: &random, eligible: eligible, avoiding: avoiding)
        return index >= 0 ? index : nil
    }
}
