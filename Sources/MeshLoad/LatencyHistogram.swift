/// A fixed-size latency histogram over nanoseconds, in the style of HdrHistogram.
///
/// Log-linear buckets: values below 256ns are counted exactly; above that, each power of
/// two is split into 128 equal sub-buckets, so any recorded value is known to within
/// 1/128 (< 0.8%) of itself. Values up to `highestTrackableValue` (2^37 - 1 ns, about
/// 137 s) are tracked; larger ones are counted in the top bucket and in `clampedCount`.
///
/// Memory (about 31 KiB of counts) is allocated once in `init`; `record`, `merge` and
/// `reset` never allocate as long as the histogram's storage is not shared with a copy.
/// `count`, `min`, `max` and `mean` are exact, including for clamped values.
public struct LatencyHistogram: Sendable, Equatable {
    /// The largest value with full precision; larger values clamp into the top bucket.
    public static let highestTrackableValue: UInt64 = (1 << 37) - 1

    /// log2 of the sub-buckets per power of two.
    private static let subBucketBits = 7
    private static let subBucketHalfCount = 1 << subBucketBits
    /// Values below this are their own bucket (one nanosecond wide).
    private static let linearLimit: UInt64 = 2 << UInt64(subBucketBits)
    private static let bucketCount = index(of: highestTrackableValue) + 1

    private var counts: [UInt64]
    private var sum: UInt128 = 0
    private var minimum: UInt64 = .max
    private var maximum: UInt64 = 0

    /// The number of values recorded.
    public private(set) var count: UInt64 = 0
    /// How many recorded values exceeded `highestTrackableValue` and were clamped.
    public private(set) var clampedCount: UInt64 = 0

    /// Creates an empty histogram.
    public init() {
        counts = Array(repeating: 0, count: Self.bucketCount)
    }

    /// The smallest recorded value, exactly; 0 if empty.
    public var min: UInt64 { count == 0 ? 0 : minimum }

    /// The largest recorded value, exactly (even if clamped); 0 if empty.
    public var max: UInt64 { maximum }

    /// The exact arithmetic mean of the recorded values; 0 if empty.
    public var mean: Double { count == 0 ? 0 : Double(sum) / Double(count) }

    /// Records one latency, in nanoseconds. O(1), allocation-free.
    public mutating func record(_ nanoseconds: UInt64) {
        var tracked = nanoseconds
        if nanoseconds > Self.highestTrackableValue {
            tracked = Self.highestTrackableValue
            clampedCount &+= 1
        }
        counts[Self.index(of: tracked)] &+= 1
        count &+= 1
        sum &+= UInt128(nanoseconds)
        if nanoseconds < minimum { minimum = nanoseconds }
        if nanoseconds > maximum { maximum = nanoseconds }
    }

    /// The value at or below which `p` percent of recorded values fall (nearest rank),
    /// to within bucket precision; `p` must be in `0...100`.
    ///
    /// Returns the highest value equivalent to the selected bucket, clamped to
    /// `min...max`, so it never underestimates by more than bucket precision and never
    /// leaves the recorded range. `percentile(0)` is `min` and `percentile(100)` is `max`,
    /// exactly. An empty histogram returns 0.
    public func percentile(_ p: Double) -> UInt64 {
        precondition(p >= 0 && p <= 100, "percentile(\(p)): p must be in 0...100")
        guard count > 0 else { return 0 }
        if p == 0 { return minimum }
        if p == 100 { return maximum }
        // Nearest rank: the smallest rank r with r >= p% of count, at least 1.
        // (Integer ceiling: `rounded(.up)` would call libm's `ceil`, which stdlib-only
        // binaries do not link.)
        let exactRank = p * Double(count) / 100
        var rank = count
        if exactRank < Double(count) {
            rank = UInt64(exactRank)
            if Double(rank) < exactRank || rank == 0 { rank += 1 }
        }
        var seen: UInt64 = 0
        for index in counts.indices {
            seen &+= counts[index]
            if seen >= rank {
                return Swift.min(Swift.max(Self.highestEquivalentValue(at: index), minimum), maximum)
            }
        }
        return maximum
    }

    /// Adds every value recorded in `other` to this histogram.
    public mutating func merge(_ other: LatencyHistogram) {
        counts.withUnsafeMutableBufferPointer { mine in
            other.counts.withUnsafeBufferPointer { theirs in
                for index in mine.indices {
                    mine[index] &+= theirs[index]
                }
            }
        }
        count &+= other.count
        clampedCount &+= other.clampedCount
        sum &+= other.sum
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
    }

    /// Forgets every recorded value, keeping the allocated storage.
    public mutating func reset() {
        counts.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        sum = 0
        minimum = .max
        maximum = 0
        count = 0
        clampedCount = 0
    }

    /// The bucket index of `value` (at most `highestTrackableValue`).
    ///
    /// With `shift` = max(0, floor(log2(value)) - 7), `value >> shift` is below 256 and at
    /// least 128 whenever `shift` > 0, so indices run contiguously: 0..<256 exactly, then
    /// 128 per power of two.
    static func index(of value: UInt64) -> Int {
        let shift = 63 - subBucketBits - (value | (linearLimit - 1)).leadingZeroBitCount
        return (shift << subBucketBits) + Int(value >> UInt64(shift))
    }

    /// The smallest value that maps to bucket `index`.
    static func lowestEquivalentValue(at index: Int) -> UInt64 {
        if index < Int(linearLimit) { return UInt64(index) }
        let shift = (index >> subBucketBits) - 1
        let subBucket = (index & (subBucketHalfCount - 1)) + subBucketHalfCount
        return UInt64(subBucket) << UInt64(shift)
    }

    /// The largest value that maps to bucket `index`.
    static func highestEquivalentValue(at index: Int) -> UInt64 {
        if index < Int(linearLimit) { return UInt64(index) }
        let shift = (index >> subBucketBits) - 1
        return lowestEquivalentValue(at: index) + (1 << UInt64(shift)) - 1
    }
}
