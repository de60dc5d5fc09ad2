/// Which matching requests a request-level fault (`delay`, `abort`) applies to.
public enum FaultTrigger: Sendable, Equatable, Hashable {
    /// `percent: N`: each matching request with probability N percent (0–100), drawn from the
    /// seeded generator. `percent(100)` is every request (the default).
    case percent(Double)
    /// `requests: "3-5"`: only the 3rd to 5th matching requests (1-based, inclusive).
    case requests(ClosedRange<Int>)
    /// `first: N`: only the first N matching requests.
    case first(Int)

    /// Every matching request.
    public static let always = FaultTrigger.percent(100)
}
