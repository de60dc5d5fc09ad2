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

    /// What the balancer knows of one endpoint (one array, so a change checks uniqueness once).
    private struct Load {
        /// The peak-EWMA latency estimate, in nanoseconds.
        var estimate: Double
        /// When `estimate` last changed.
        var updatedAt: UInt64
        /// This loop's requests in flight to the endpoint.
        var outstanding: Int
    }

    private var loads: [Load]

    /// A balancer over `endpointCount` endpoints, each estimated at `defaultRTT` as of `now`.
    public init(
        endpointCount: Int, now: UInt64,
        defaultRTT: UInt64 = PeakEWMABalancer.defaultRTT, decay: UInt64 = PeakEWMABalancer.defaultDecay
    ) {
        self.endpointCount = Swift.max(endpointCount, 0)
        self.defaultRTT = defaultRTT
        self.decay = decay
        loads = Array(
            repeating: Load(estimate: Double(defaultRTT), updatedAt: now, outstanding: 0), count: self.endpointCount)
    }

    /// The cheaper of two candidates drawn at random at `now` (an `eligible` index not
    /// `avoiding` if there is one, else an `eligible` one; the first drawn on a tie); `nil`
    /// when no index is eligible.
    public func pick<R: RandomNumberGenerator>(
        now: UInt64, using random: inout R, eligible: (Int) -> Bool, avoiding: (Int) -> Bool = { _ in false }
    ) -> Int? {
        let (a, b) = CandidateScan.pair(count: endpointCount, using: &random, eligible: eligible, avoiding: avoiding)
        guard a >= 0 else { return nil }
        guard b >= 0 else { return a }
        return cost(b, now: now) < cost(a, now: now) ? b : a
    }

    /// Counts a request sent to `index` as outstanding. Indices out of range are ignored.
    public func started(_ index: Int) {
        guard loads.indices.contains(index) else { return }
        loads[index].outstanding += 1
    }

    /// Counts a request to `index` as finished after `latency` nanoseconds, at `now`, and
    /// folds the latency into the endpoint's estimate. Indices out of range are ignored.
    public func finished(_ index: Int, latency: UInt64, now: UInt64) {
        guard loads.indices.contains(index) else { return }
        if loads[index].outstanding > 0 { loads[index].outstanding -= 1 }
        update(index, sample: Double(latency), now: now)
    }

    /// The endpoint's cost at `now`, `rttEstimate × (outstanding + 1)`; decays its estimate
    /// to `now` as tower's `load()` does. 0 out of range.
    public func cost(_ index: Int, now: UInt64) -> Double {
        guard loads.indices.contains(index) else { return 0 }
        update(index, sample: 0, now: now)
        return loads[index].estimate * Double(loads[index].outstanding + 1)
    }

    /// The endpoint's latency estimate at `now`, in nanoseconds, without changing it.
    /// 0 out of range.
    public func rttEstimate(_ index: Int, now: UInt64) -> Double {
        guard loads.indices.contains(index) else { return 0 }
        let load = loads[index]
        let elapsed = now > load.updatedAt ? now - load.updatedAt : 0
        return load.estimate * ExponentialDecay.factor(elapsed: elapsed, period: decay)
    }

    /// The requests outstanding at `index` (0 out of range).
    public func outstandingRequests(_ index: Int) -> Int {
        loads.indices.contains(index) ? loads[index].outstanding : 0
    }

    /// Folds `sample` (0 for a plain decay) into the estimate at `now`, tower's
    /// `RttEstimate::update`.
    private func update(_ index: Int, sample: Double, now: UInt64) {
        var load = loads[index]
        if sample > load.estimate {
            load.estimate = sample
        } else {
            let elapsed = now > load.updatedAt ? now - load.updatedAt : 0
            let kept = ExponentialDecay.factor(elapsed: elapsed, period: decay)
            load.estimate = load.estimate * kept + sample * (1 - kept)
        }
        if now > load.updatedAt { load.updatedAt = now }
        loads[index] = load
    }
}
