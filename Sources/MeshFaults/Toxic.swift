/// One L4 fault on a connection's bytes, as plain data: what it does (`kind`), to which
/// direction, and for how many connections (`toxicity`). Toxiproxy's toxics under meshbed's
/// names; a `ToxicStream` runs a list of them as stages (in list order, per direction).
///
///     client ──upstream──▶ server        (a toxic acts on one direction only)
///     client ◀─downstream── server
///
/// Toxiproxy's API (`type`, `attributes`, `stream`, `toxicity`) maps one to one:
///
///     latency     latency, jitter (ms)           → .latency(latency:jitter:)
///     bandwidth   rate (KB/s, 1 KB = 1000 B)     → .bandwidth(bytesPerSecond: rate * 1000)
///     reset_peer  timeout (ms)                   → .reset(afterBytes: nil, after: timeout)
///     timeout     timeout (ms; 0 = never closes) → .blackhole(closeAfter: timeout or nil)
///     slow_close  delay (ms)                     → .slowClose(delay:)
///     slicer      average_size, size_variation,  → .slicer(averageSize:sizeVariation:delay:)
///                 delay (µs)
///     limit_data  bytes                          → .limitData(bytes:)
///     stream      upstream / downstream          → direction
public struct Toxic: Sendable, Equatable {
    /// Which way the bytes a toxic acts on travel.
    public enum Direction: String, Sendable, Equatable, CaseIterable {
        /// From the connection's client towards its server (requests).
        case upstream
        /// From the server back to the client (responses).
        case downstream
    }

    /// What a toxic does to the bytes of its direction, with its settings.
    public enum Kind: Sendable, Equatable {
        /// Holds each chunk `latency` plus a uniform draw in `-jitter..<+jitter` (never below
        /// zero), measured from its arrival; chunks leave in order (a chunk never overtakes the
        /// one before it, so a short draw behind a long one waits for it). `jitter` may exceed
        /// `latency`, as in Toxiproxy: the draws below zero are then zero.
        case latency(latency: Duration, jitter: Duration)
        /// Lets at most `bytesPerSecond` bytes through per second (a link of that capacity:
        /// the bytes of a burst leave as they would finish transmitting).
        case bandwidth(bytesPerSecond: Int)
        /// Resets the connection (an abortive close: RST) once `afterBytes` bytes passed in this
        /// direction, or once `after` elapsed from the direction's first byte, whichever comes
        /// first; with neither, at the direction's first byte (Toxiproxy's `reset_peer`). The bytes
        /// before the reset pass; those after it are dropped.
        case reset(afterBytes: Int?, after: Duration?)
        /// Swallows the direction's bytes; closes the connection `closeAfter` after the toxic
        /// started on it, never when nil (Toxiproxy's `timeout`).
        case blackhole(closeAfter: Duration?)
        /// Lets the direction's end of stream (a half-close or graceful close) through only
        /// `delay` after it arrived; bytes pass unchanged. An immediate close (`close()`, the
        /// lower stream closing) is not delayed.
        case slowClose(delay: Duration)
        /// Cuts each chunk into pieces of `averageSize` ± `sizeVariation` bytes (a chunk's last
        /// piece is what remains, possibly smaller), `delay` apart.
        case slicer(averageSize: Int, sizeVariation: Int, delay: Duration)
        /// Lets `bytes` bytes through in this direction, then closes the connection.
        case limitData(bytes: Int)

        /// The kind's name in Toxiproxy's API (`latency`, `reset_peer`, `timeout`, ...).
        public var toxiproxyType: String {
            switch self {
            case .latency: "latency"
            case .bandwidth: "bandwidth"
            case .reset: "reset_peer"
            case .blackhole: "timeout"
            case .slowClose: "slow_close"
            case .slicer: "slicer"
            case .limitData: "limit_data"
            }
        }

        /// Whether two kinds are the same toxic with possibly other settings.
        func isSameType(as other: Kind) -> Bool { toxiproxyType == other.toxiproxyType }
    }

    /// Unique among the toxics of one stream (a list with a name twice is refused).
    public var name: String
    /// What it does.
    public var kind: Kind
    /// Which direction's bytes it acts on.
    public var direction: Direction
    /// The probability, in `0...1`, that the toxic acts on a given connection: drawn once per
    /// connection from the stream's seed. 0 never acts, 1 always does.
    public var toxicity: Double

    /// A toxic named `name`; `toxicity` 1 (every connection) unless given.
    public init(name: String, kind: Kind, direction: Direction, toxicity: Double = 1) {
        self.name = name
        self.kind = kind
        self.direction = direction
        self.toxicity = toxicity
    }

    /// Throws a one-line reason when a setting is out of range: a negative duration or size,
    /// a rate or slice size below 1, a slicer variation not below its average, a toxicity
    /// outside `0...1`, an empty name.
    public func validate() throws(ToxicError) {
        guard !name.isEmpty else { throw ToxicError("a toxic needs a name") }
        guard toxicity.isFinite, (0...1).contains(toxicity) else {
            throw ToxicError("toxic \(name): toxicity must be between 0 and 1, got \(toxicity)")
        }
        switch kind {
        case .latency(let latency, let jitter):
            try Self.nonNegative(latency, "latency", name)
            try Self.nonNegative(jitter, "jitter", name)
        case .bandwidth(let rate):
            guard rate >= 1 else { throw ToxicError("toxic \(name): bandwidth rate must be at least 1 byte/s, got \(rate)") }
        case .reset(let afterBytes, let after):
            if let afterBytes, afterBytes < 0 { throw ToxicError("toxic \(name): reset after bytes must not be negative, got \(afterBytes)") }
            if let after { try Self.nonNegative(after, "reset after", name) }
        case .blackhole(let closeAfter):
            if let closeAfter { try Self.nonNegative(closeAfter, "blackhole close after", name) }
        case .slowClose(let delay):
            try Self.nonNegative(delay, "slow_close delay", name)
        case .slicer(let average, let variation, let delay):
            guard average >= 1 else { throw ToxicError("toxic \(name): slicer average size must be at least 1, got \(average)") }
            guard variation >= 0, variation < average else {
                throw ToxicError("toxic \(name): slicer size variation must be at least 0 and below the average size \(average), got \(variation)")
            }
            try Self.nonNegative(delay, "slicer delay", name)
        case .limitData(let bytes):
            guard bytes >= 0 else { throw ToxicError("toxic \(name): limit_data bytes must not be negative, got \(bytes)") }
        }
    }

    /// Validates every toxic of a stream's list, and that no name appears twice.
    public static func validate(_ toxics: [Toxic]) throws(ToxicError) {
        var names = Set<String>()
        for toxic in toxics {
            try toxic.validate()
            guard names.insert(toxic.name).inserted else { throw ToxicError("toxic \(toxic.name) is listed twice") }
        }
    }

    private static func nonNegative(_ duration: Duration, _ what: String, _ name: String) throws(ToxicError) {
        guard duration >= .zero else { throw ToxicError("toxic \(name): \(what) must not be negative, got \(duration)") }
    }
}
