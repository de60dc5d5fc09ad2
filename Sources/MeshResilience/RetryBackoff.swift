/// Exponential backoff with full jitter between retries, as Envoy's router does it
/// (`JitteredExponentialBackOffStrategy`, used by `retry_state_impl.cc`).
///
/// The delay before retry `n` (1 for the first retry) is drawn uniformly from the half-open
/// range `[0, ceiling(n))`, where `ceiling(n) = min(max, base × 2^(n-1))`: with the defaults
/// (Envoy's and Istio's base of 25 ms, a maximum of 250 ms = 10 × base, Envoy's default
/// maximum) the ceilings are 25, 50, 100, 200, 250, 250, ... ms. Envoy draws
/// `random % ceiling` in milliseconds; this type works in nanoseconds and maps one 64-bit
/// draw onto the range by a multiply-high (`(r × ceiling) >> 64`), so every delay consumes
/// exactly one value of the generator and a seeded schedule is reproducible.
public struct RetryBackoff: Sendable, Equatable {
    /// Envoy's and Istio's default base interval: 25 ms.
    public static let defaultBase: UInt64 = 25_000_000
    /// The default cap: 250 ms (Envoy's default of 10 × base).
    public static let defaultMax: UInt64 = 250_000_000

    /// The ceiling of the first retry's delay, in nanoseconds (at least 1).
    public let base: UInt64
    /// The largest ceiling, in nanoseconds (at least `base`).
    public let max: UInt64

    /// A backoff from `base` doubling up to `max` (nanoseconds). A `base` of 0 is taken as
    /// 1 ns and a `max` below `base` as `base`, so every value gives a usable schedule; the
    /// configuration parser is where out-of-range settings are refused.
    public init(base: UInt64 = RetryBackoff.defaultBase, max: UInt64 = RetryBackoff.defaultMax) {
        let base = Swift.max(base, 1)
        self.base = base
        self.max = Swift.max(max, base)
    }

    /// The exclusive upper bound of the delay before retry `retry` (1-based; values below 1
    /// count as 1): `min(max, base × 2^(retry-1))`, without overflow for any `retry`.
    public func ceiling(forRetry retry: Int) -> UInt64 {
        let doublings = Swift.max(retry, 1) - 1
        guard doublings < 64 else { return max }
        let (scaled, overflow) = base.multipliedReportingOverflow(by: UInt64(1) << UInt64(doublings))
        return overflow ? max : Swift.min(scaled, max)
    }

    /// The delay before retry `retry`, in nanoseconds: uniform in `[0, ceiling(forRetry:))`.
    /// Consumes exactly one value from `random`.
    public func delay<R: RandomNumberGenerator>(forRetry retry: Int, using random: inout R) -> UInt64 {
        random.next().multipliedFullWidth(by: ceiling(forRetry: retry)).high
    }
}
