/// The kinds of fault of SPEC §6, by where they act.
public enum FaultKind: String, Sendable, Equatable, Hashable, CaseIterable {
    /// L7: the caller's sidecar holds the request for `delay`.
    case delay
    /// L7: the caller's sidecar answers `status` itself.
    case abort
    /// L4: bytes on the link are delayed by `latency` ± `jitter`.
    case latency
    /// L4: the link is throttled to `rate`.
    case bandwidth
    /// L4: the connection is reset (after `after` bytes, or at once).
    case reset
    /// Connections are accepted and never answered.
    case blackhole
    /// L4: a connection's close reaches the other side only after `delay`.
    case slowClose
    /// L4: bytes are cut into slices of `averageSize` ± `sizeVariation`, `delay` apart.
    case slicer
    /// L4: the connection is closed once `bytes` have passed.
    case limitData
    /// No connection succeeds, both ways (`between`) or one way (`from`, `to`).
    case partition
    /// `percent` of the packets to and from `to` (exchanged with `from`, when given) are
    /// dropped: only where instances have packets of their own (`--runtime netns`).
    case loss
    /// Instances are killed (SIGKILL).
    case kill
    /// Instances are stopped (SIGSTOP) until resumed.
    case pause
    /// Paused instances continue (SIGCONT).
    case resume
    /// Instances are stopped and started again.
    case restart

    /// Whether the fault acts on single requests (`delay`, `abort`): only these take
    /// `headers` and a trigger (`percent`, `requests`, `first`).
    public var isRequestLevel: Bool { self == .delay || self == .abort }

    /// Whether the fault acts on the bytes of connections (`latency`, `bandwidth`, `reset`,
    /// `blackhole`, `slowClose`, `slicer`, `limitData`): only these take `direction` and
    /// `toxicity` (Toxiproxy's toxics).
    public var isLinkLevel: Bool {
        switch self {
        case .latency, .bandwidth, .reset, .blackhole, .slowClose, .slicer, .limitData: true
        default: false
        }
    }

    /// Whether the fault acts on processes (`kill`, `pause`, `resume`, `restart`).
    public var isProcessLevel: Bool { self == .kill || self == .pause || self == .resume || self == .restart }

    /// Whether the fault lasts until cleared (and so may carry `duration`); `resume` and
    /// `restart` happen once.
    public var isLasting: Bool { self != .resume && self != .restart }
}
