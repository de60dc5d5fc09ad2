import Synchronization

/// Durations counted into buckets, added to from a data path with relaxed atomics (no lock)
/// and read by a scrape from any thread. The buckets are not cumulative here; the writer
/// makes them so. (`@unchecked`: the counters live behind a pointer that never changes,
/// touched only through their atomics.)
public final class DurationHistogram: @unchecked Sendable {
    /// Upper bounds in seconds of the request-duration buckets: 0.5 ms to 60 s.
    public static let requestBounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    /// The bounds in seconds, ascending.
    public let bounds: [Double]
    private let nanosecondBounds: [UInt64]
    /// One counter per bound, then the overflow (`+Inf`) one.
    private let counts: UnsafeMutablePointer<Atomic<Int>>
    private let sumNanoseconds = Atomic<UInt64>(0)

    public init(bounds: [Double] = DurationHistogram.requestBounds) {
        self.bounds = bounds
        nanosecondBounds = bounds.map { UInt64(($0 * 1e9).rounded()) }
        counts = .allocate(capacity: bounds.count + 1)
        for index in 0...bounds.count { (counts + index).initialize(to: Atomic(0)) }
    }

    deinit {
        counts.deinitialize(count: bounds.count + 1)
        counts.deallocate()
    }

    /// Counts one duration.
    public func record(nanoseconds: UInt64) {
        var index = 0
        while index < nanosecondBounds.count, nanoseconds > nanosecondBounds[index] { index += 1 }
        counts[index].add(1, ordering: .relaxed)
        sumNanoseconds.add(nanoseconds, ordering: .relaxed)
    }

    /// The counts and sum now.
    public func snapshot() -> HistogramSnapshot {
        HistogramSnapshot(bounds: bounds, counts: (0...bounds.count).map { counts[$0].load(ordering: .relaxed) },
                          sum: Double(sumNanoseconds.load(ordering: .relaxed)) / 1e9)
    }
}

/// A histogram's counts at one moment: per bucket (not cumulative; the last is `+Inf`) and
/// the sum of the durations in seconds. Snapshots of several histograms with the same bounds add up.
public struct HistogramSnapshot: Sendable, Equatable {
    public var bounds: [Double]
    public var counts: [Int]
    public var sum: Double

    public init(bounds: [Double], counts: [Int], sum: Double) {
        self.bounds = bounds
        self.counts = counts
        self.sum = sum
    }

    /// Every duration counted.
    public var count: Int { counts.reduce(0, +) }

    /// Adds another snapshot's counts (same bounds).
    public mutating func add(_ other: HistogramSnapshot) {
        for index in counts.indices where index < other.counts.count { counts[index] += other.counts[index] }
        sum += other.sum
    }
}
