/// A deterministic random number generator: xoshiro256** seeded through SplitMix64.
///
/// The same seed always yields the same sequence, on every platform, so fault injection
/// and load schedules can be replayed. Not cryptographically secure.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Creates a generator whose state is expanded from `seed` with SplitMix64.
    /// Every seed, including 0, gives a valid (never all-zero) state.
    public init(seed: UInt64) {
        var splitMix = seed
        s0 = Self.splitMix64(&splitMix)
        s1 = Self.splitMix64(&splitMix)
        s2 = Self.splitMix64(&splitMix)
        s3 = Self.splitMix64(&splitMix)
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = Self.rotateLeft(s1 &* 5, by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotateLeft(s3, by: 45)
        return result
    }

    /// Returns `true` with probability `p` / 100; `p` must be in `0...100`.
    ///
    /// `percent(0)` is never true and `percent(100)` always is. Every call consumes exactly
    /// one value from the sequence, whatever `p` is, so schedules stay aligned.
    public mutating func percent(_ p: Double) -> Bool {
        precondition(p >= 0 && p <= 100, "percent(\(p)): probability must be in 0...100")
        // 53 random bits -> a uniform Double in [0, 1).
        let unit = Double(next() >> 11) * 0x1p-53
        return unit * 100 < p
    }

    private static func splitMix64(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func rotateLeft(_ x: UInt64, by k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 &- k))
    }
}
