/// What a call to `OutlierDetector.record(endpoint:outcome:now:)` changed, for the caller's
/// counters (`ejections`) and its routing decision record (the circuit state).
public struct OutlierEvent: Sendable, Equatable {
    /// What happened to the endpoint.
    public enum Kind: Sendable, Equatable {
        /// The endpoint is out of service until `until`.
        case ejected
        /// The endpoint crossed a threshold but stays in service because `maxEjectionPercent`
        /// of the endpoints are already ejected (Envoy's `ejections_overflow`).
        case overflowed
    }

    /// Which threshold the endpoint crossed.
    public enum Cause: Sendable, Equatable {
        /// `consecutive5xxErrors`.
        case consecutive5xxErrors
        /// `consecutiveGatewayErrors`.
        case consecutiveGatewayErrors
    }

    /// Ejected, or kept in service by the cap.
    public let kind: Kind
    /// Which threshold was crossed.
    public let cause: Cause
    /// The endpoint's index in the detector's endpoint list.
    public let endpoint: Int
    /// The endpoint's id.
    public let id: String
    /// When the endpoint returns to service (monotonic nanoseconds); 0 when `overflowed`.
    public let until: UInt64
    /// The endpoint's ejection count, which multiplies `baseEjectionTime`; for `overflowed`,
    /// the count before this event.
    public let ejectionCount: Int

    /// An event with these fields.
    public init(kind: Kind, cause: Cause, endpoint: Int, id: String, until: UInt64, ejectionCount: Int) {
        self.kind = kind
        self.cause = cause
        self.endpoint = endpoint
        self.id = id
        self.until = until
        self.ejectionCount = ejectionCount
    }
}
