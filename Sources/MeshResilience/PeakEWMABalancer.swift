/// Power of two choices over peak-EWMA load, as Linkerd balances (tower's `balance::p2c`
/// with `load::PeakEwma`): draw two distinct candidates at random and take the cheaper, where
///
///     cost = rttEstimate × (outstanding + 1)
///
/// - The estimate is peak-sensitive: a latency sample above it replaces it at once; a sample
///   below it is blended in with the weight `1 - e^(-elapsed / decay)`, `elapsed` being the
///   time since the estimate last changed.
/// - Reading a cost decays the estimate towards zero the same way (a sample of 0 at `now`),
///   so an endpoint that stops getting traffic looks cheaper and cheaper until it is tried
///   again and measured.
/// - An endpoint with no sample yet starts from `defaultRTT` (Linkerd: 30 ms): preferred to
///   endpoints measured slower than that, and tried anyway once the decay brings it below the
///   others.
/// - `decay` is Linkerd's 10 s by default.
///
/// Per event loop (not shared, not thread-safe): the outstanding counts and estimates come
/// from this loop's requests (`started(_:)`, `finished(_:latency:now:)`).
public final class PeakEWMABalancer {
    /// Linkerd's default estimate for an endpoint with no sample: 30 ms.
    public static let defaultRTT: UInt64 = 30_000_000
    /// Linkerd's default decay period: 10 s.
    public static let defaultDecay: UInt64 = 10_000_000_000

    /// The number of endpoints, indices `0..<endpointCount`.
    public let endpointCount: Int
    /// The estimate an endpoint starts from, in nanoseconds.
    public let defaultRTT: UInt64
    /// The decay period, in nanoseconds.
    public let decay: UInt64

    private var estimates: [Double]
    private var updatedAt: [UInt64]
    private var outstanding: [Int]

    /// A balancer over `endpointCount` endpoints, each estimated at `defaultRTT` as of `now`.
    public init(
        endpointCount: Int, now: UInt64,
        defaultRTT: UInt64 = PeakEWMABalancer.defaultRTT, decay: UInt64 = PeakEWMABalancer.defaultDecay
    ) {
        self.endpointCount = Swift.max(endpointCount, 0)
        self.defaultRTT = defaultRTT
        self.decay = decay
        estimates = Array(repeating: Double(defaultRTT), count: self.endpointCount)
        updatedAt = Array(repeating: now, count: self.endpointCount)
        outstanding = Array(repeating: 0, count: self.endpointCount)
    }

    /// The cheaper of two candidates drawn at random at `now` (an `eligible` index not
    /// `avoiding` if there is one, else an `eligible` one; the first drawn on a tie); `nil`
    /// when no index is eligible. Consumes two values of `random` (none for one candidate).
    public func pick<R: RandomNumberGenerator>(
        now: UInt64, using random: inout R, eligible: (Int) -> Bool, avoiding: (Int) -> Bool = { _ in false }
    ) -> Int? {
        let scan = CandidateScan(count: endpointCount, eligible: eligible, avoiding: avoiding)
        guard scan.size > 0 else { return nil }
        let (first, second) = scan.twoRanks(using: &random)
        let (a, b) = scan.indices(ranked: first, second, count: endpointCount, eligible: eligible, avoiding: avoiding)
        guard b >= 0 else { return a }
        return cost(b, now: now) < cost(a, now: now) ? b : a
    }

    /// Counts a request sent to `index` as outstanding. Indices out of range are ignored.
    public func started(_ index: Int) {
        guard outstanding.indices.contains(index) else { return }
        outstanding[index] += 1
    }

    /// Counts a request to `index` as finished after `latency` nanoseconds, at `now`, and
    /// folds the latency into the endpoint's estimate. Indices out of range are ignored.
    public func finished(_ index: Int, latency: UInt64, now: UInt64) {
        guard outstanding.indices.contains(index) else { return }
        if outstanding[index] > 0 { outstanding[index] -= 1 }
        update(index, sample: Double(latency), now: now)
    }

    /// The endpoint's cost at `now`, `rttEstimate × (outstanding + 1)`; decays its estimate
    /// to `now` as tower's `load()` does. 0 out of range.
    public func cost(_ index: Int, now: UInt64) -> Double {
        guard estimates.indices.contains(index) else { return 0 }
        update(index, sample: 0, now: now)
        return estimates[index] * Double(outstanding[index] + 1)
    }

    /// The endpoint's latency estimate at `now`, in nanoseconds, without changing it.
    /// 0 out of range.
    public func rttEstimate(_ index: Int, now: UInt64) -> Double {
        guard estimates.indices.contains(index) else { return 0 }
        let elapsed = now > updatedAt[index] ? now - updatedAt[index] : 0
        return estimates[index] * ExponentialDecay.factor(elapsed: elapsed, period: decay)
    }

    /// The requests outstanding at `index` (0 out of range).
    public func outstandingRequests(_ index: Int) -> Int {
        outstanding.indices.contains(index) ? outstanding[index] : 0
    }

    private func update(_ index: Int, sample: Double, now: UInt64) {
        if sample > estimates[index] {
            estimates[index] = sample
        } else {
            let elapsed = now > updatedAt[index] ? now - updatedAt[index] : 0
            let kept = ExponentialDecay.factor(elapsed: elapsed, period: decay)
            estimates[index] = estimates[index] * kept + sample * (1 - kept)
        }
        if now > updatedAt[index] { updatedAt[index] = now }
    }
}
