/// The settings of outlier detection, with Istio's names (`DestinationRule`
/// `trafficPolicy.outlierDetection`) and Istio's defaults unless noted. Times are
/// nanoseconds.
public struct OutlierDetection: Sendable, Equatable {
    /// Consecutive 5xx outcomes (gateway errors, connect failures, resets and timeouts count
    /// too, as in Envoy) that eject an endpoint; 0 turns this check off. Istio default: 5.
    public var consecutive5xxErrors: Int
    /// Consecutive gateway errors (502, 503, 504, connect failures, resets, timeouts) that
    /// eject an endpoint; 0 turns this check off. Istio default: 0 (off).
    public var consecutiveGatewayErrors: Int
    /// The sweep interval: an ejection count goes down by one for each whole interval its
    /// endpoint spends back in service (Envoy's `interval`). Istio default: 10 s.
    public var interval: UInt64
    /// An ejection lasts `baseEjectionTime × the endpoint's ejection count`, at most
    /// `maxEjectionTime`. Istio default: 30 s.
    public var baseEjectionTime: UInt64
    /// The cap on one ejection's length (Envoy's `max_ejection_time`; Istio does not expose
    /// it). Default: 300 s, Envoy's.
    public var maxEjectionTime: UInt64
    /// An endpoint is ejected only while fewer than this share of all endpoints are ejected,
    /// Envoy's test `100 × ejected / endpoints < maxEjectionPercent` before the ejection: with
    /// 10 % and 3 endpoints the first is ejected, the second is not. 0 never ejects.
    /// Istio default: 10.
    public var maxEjectionPercent: Int
    /// The panic threshold: when fewer than this share of endpoints are in service, ejections
    /// are ignored and every endpoint takes traffic again, so the load is never concentrated
    /// on too few (Envoy's `healthy_panic_threshold`, whose default of 50 this uses; Istio's
    /// `minHealthPercent` defaults to 0, which turns the threshold off).
    public var minHealthPercent: Int

    /// Settings with the defaults above unless given.
    public init(
        consecutive5xxErrors: Int = 5,
        consecutiveGatewayErrors: Int = 0,
        interval: UInt64 = 10_000_000_000,
        baseEjectionTime: UInt64 = 30_000_000_000,
        maxEjectionTime: UInt64 = 300_000_000_000,
        maxEjectionPercent: Int = 10,
        minHealthPercent: Int = 50
    ) {
        self.consecutive5xxErrors = consecutive5xxErrors
        self.consecutiveGatewayErrors = consecutiveGatewayErrors
        self.interval = interval
        self.baseEjectionTime = baseEjectionTime
        self.maxEjectionTime = maxEjectionTime
        self.maxEjectionPercent = maxEjectionPercent
        self.minHealthPercent = minHealthPercent
    }
}
