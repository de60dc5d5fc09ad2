/// Least request by power of two choices (Istio's `LEAST_REQUEST`, Envoy's `LEAST_REQUEST`
/// with its default `choice_count` of 2): draw two distinct candidates at random and take the
/// one with fewer outstanding requests (the first drawn on a tie). It avoids the herding of
/// "always the least loaded" while steering away from a slow endpoint, whose requests pile up.
/// Envoy draws with replacement; this draws two distinct candidates, so with two candidates
/// the less loaded one always wins.
///
/// Per event loop (not shared, not thread-safe): the outstanding counts are this loop's
/// requests, counted by `started(_:)` and `finished(_:)`.
public final class LeastRequestBalancer {
    /// The number of endpoints, indices `0..<endpointCount`.
    public let endpointCount: Int
    private var outstanding: [Int]

    /// A balancer over `endpointCount` endpoints with no request outstanding.
    public init(endpointCount: Int) {
        self.endpointCount = Swift.max(endpointCount, 0)
        outstanding = Array(repeating: 0, count: self.endpointCount)
    }

    /// The less loaded of two candidates drawn at random (an `eligible` index not `avoiding`
    /// if there is one, else an `eligible` one); `nil` when no index is eligible.
    public func pick<R: RandomNumberGenerator>(
        using random: inout R, eligible: (Int) -> Bool, avoiding: (Int) -> Bool = { _ in false }
    ) -> Int? {
        let (a, b) = CandidateScan.pair(count: endpointCount, using: &random, eligible: eligible, avoiding: avoiding)
        guard a >= 0 else { return nil }
        guard b >= 0 else { return a }
        return outstanding[b] < outstanding[a] ? b : a
    }

    /// Counts a request sent to `index` as outstanding. Indices out of range are ignored.
    public func started(_ index: Int) {
        guard outstanding.indices.contains(index) else { return }
        outstanding[index] += 1
    }

    /// Counts a request to `index` as finished. Indices out of range are ignored.
    public func finished(_ index: Int) {
        guard outstanding.indices.contains(index), outstanding[index] > 0 else { return }
        outstanding[index] -= 1
    }

    /// The requests outstanding at `index` (0 out of range).
    public func outstandingRequests(_ index: Int) -> Int {
        outstanding.indices.contains(index) ? outstanding[index] : 0
    }
}
