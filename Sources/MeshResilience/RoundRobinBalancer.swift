/// Round robin over the candidate endpoints (Istio's `ROUND_ROBIN`, Envoy's unweighted
/// round robin): each pick takes the next candidate after the previous pick, in index order,
/// wrapping around; indices that are not candidates are skipped.
///
/// Per event loop (not shared, not thread-safe): a loop's picks rotate on their own, as each
/// Envoy worker's balancer does.
public final class RoundRobinBalancer {
    /// The number of endpoints, indices `0..<endpointCount`.
    public let endpointCount: Int
    private var next = 0

    /// A balancer over `endpointCount` endpoints whose first pick is the first candidate.
    public init(endpointCount: Int) {
        self.endpointCount = Swift.max(endpointCount, 0)
    }

    /// The next candidate in rotation: an `eligible` index not `avoiding` if there is one,
    /// else an `eligible` one; `nil` when no index is eligible.
    public func pick(eligible: (Int) -> Bool, avoiding: (Int) -> Bool = { _ in false }) -> Int? {
        var fallback: Int?
        var index = next
        for _ in 0..<endpointCount {
            if index >= endpointCount { index = 0 }
            if eligible(index) {
                if !avoiding(index) {
                    next = index + 1
                    return index
                }
                if fallback == nil { fallback = index }
            }
            index += 1
        }
        if let fallback { next = fallback + 1 }
        return fallback
    }
}
