import MeshCore
import MeshLoad
import MeshTestSupport
import Testing

@Suite struct LatencyHistogramTests {
    /// Uniform 1...10000 µs, in nanoseconds.
    static func uniform() -> LatencyHistogram {
        var histogram = LatencyHistogram()
        for micros in UInt64(1)...10_000 { histogram.record(micros * 1_000) }
        return histogram
    }

    @Test func emptyHistogramReturnsZero() {
        let histogram = LatencyHistogram()
        #expect(histogram.count == 0)
        #expect(histogram.min == 0)
        #expect(histogram.max == 0)
        #expect(histogram.mean == 0)
        #expect(histogram.clampedCount == 0)
        for p in [0.0, 50, 99.9, 100] { #expect(histogram.percentile(p) == 0) }
    }

    @Test(arguments: [UInt64(0), 1, 255, 256, 1_000, 123_456_789, LatencyHistogram.highestTrackableValue])
    func singleValue(value: UInt64) {
        var histogram = LatencyHistogram()
        histogram.record(value)
        #expect(histogram.count == 1)
        #expect(histogram.min == value)
        #expect(histogram.max == value)
        #expect(histogram.mean == Double(value))
        // Clamping to min...max makes every percentile exact for a single value.
        for p in [0.0, 1, 50, 99.99, 100] { #expect(histogram.percentile(p) == value) }
    }

    @Test func minMaxAndMeanAreExact() {
        var histogram = LatencyHistogram()
        for value: UInt64 in [1_234_567, 1_000_001, 98_765_432_101, 5_555] { histogram.record(value) }
        #expect(histogram.count == 4)
        #expect(histogram.min == 5_555)
        #expect(histogram.max == 98_765_432_101)
        #expect(histogram.mean == Double(1_234_567 + 1_000_001 + 98_765_432_101 + 5_555) / 4)
        #expect(histogram.percentile(0) == 5_555)
        #expect(histogram.percentile(100) == 98_765_432_101)
    }

    @Test func smallValuesAreExact() {
        var histogram = LatencyHistogram()
        for value in UInt64(0)..<256 { histogram.record(value) }
        #expect(histogram.percentile(50) == 127)
        #expect(histogram.percentile(10) == 25)
        #expect(histogram.percentile(99) == 253)
    }

    @Test(arguments: [0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99])
    func uniformPercentilesWithinOnePercent(p: Double) {
        let histogram = Self.uniform()
        // Nearest rank over 1...10000 µs: the ceil(p% of 10000)-th value.
        let rank = (p * 10_000 / 100).rounded(.up)
        let expected = rank * 1_000
        let actual = Double(histogram.percentile(p))
        #expect(abs(actual - expected) / expected <= 0.01, "p\(p): \(actual) vs \(expected)")
    }

    @Test func uniformSummary() {
        let histogram = Self.uniform()
        #expect(histogram.count == 10_000)
        #expect(histogram.min == 1_000)
        #expect(histogram.max == 10_000_000)
        #expect(histogram.mean == 5_000_500)
        #expect(histogram.percentile(100) == 10_000_000)
        #expect(histogram.percentile(0) == 1_000)
    }

    @Test func percentilesAreMonotonic() {
        let histogram = Self.uniform()
        var previous: UInt64 = 0
        for tenth in 0...1_000 {
            let value = histogram.percentile(Double(tenth) / 10)
            #expect(value >= previous)
            previous = value
        }
    }

    @Test func relativeErrorStaysBelowOnePercentAcrossTheRange() {
        // One value per histogram, at many magnitudes from 1µs to ~100 s: the bucket's
        // highest equivalent value is within 1% (bucket width is at most 1/128).
        var value: UInt64 = 1_000
        while value <= 100_000_000_000 {
            var histogram = LatencyHistogram()
            histogram.record(value)
            histogram.record(LatencyHistogram.highestTrackableValue)
            let reported = histogram.percentile(50)
            #expect(reported >= value)
            #expect(Double(reported - value) / Double(value) < 0.01, "\(value) -> \(reported)")
            value = value * 13 / 10 + 7
        }
    }

    @Test func mergeEqualsRecordingBoth() {
        var random = SeededRandom(seed: 11)
        var first = LatencyHistogram()
        var second = LatencyHistogram()
        var both = LatencyHistogram()
        for index in 0..<5_000 {
            let value = UInt64.random(in: 0...200_000_000_000, using: &random)
            if index.isMultiple(of: 3) { first.record(value) } else { second.record(value) }
            both.record(value)
        }
        var merged = first
        merged.merge(second)
        #expect(merged == both)
        #expect(merged.count == 5_000)
        #expect(merged.min == both.min)
        #expect(merged.max == both.max)
        #expect(merged.clampedCount == both.clampedCount)
        for p in [0.0, 50, 99, 100] { #expect(merged.percentile(p) == both.percentile(p)) }
        // The source is a value: merging did not change it.
        #expect(first.count + second.count == 5_000)
    }

    @Test func mergingEmptyHistograms() {
        var histogram = Self.uniform()
        histogram.merge(LatencyHistogram())
        #expect(histogram == Self.uniform())
        var empty = LatencyHistogram()
        empty.merge(Self.uniform())
        #expect(empty == Self.uniform())
        var nothing = LatencyHistogram()
        nothing.merge(LatencyHistogram())
        #expect(nothing == LatencyHistogram())
        #expect(nothing.min == 0)
    }

    @Test func valuesAboveTheTopClampButStayExact() {
        var histogram = LatencyHistogram()
        histogram.record(1_000)
        histogram.record(500_000_000_000)
        histogram.record(UInt64.max)
        #expect(histogram.count == 3)
        #expect(histogram.clampedCount == 2)
        #expect(histogram.max == UInt64.max)
        #expect(histogram.min == 1_000)
        #expect(histogram.percentile(100) == UInt64.max)
        #expect(histogram.percentile(50) == LatencyHistogram.highestTrackableValue)
        // 1000ns sits in a 4ns-wide bucket (1000...1003).
        #expect((1_000...1_003).contains(histogram.percentile(10)))
        #expect(histogram.mean == (Double(UInt64.max) + 500_000_001_000) / 3)
    }

    @Test func resetForgetsEverything() {
        var histogram = Self.uniform()
        histogram.record(UInt64.max)
        histogram.reset()
        #expect(histogram == LatencyHistogram())
        #expect(histogram.count == 0)
        #expect(histogram.clampedCount == 0)
        #expect(histogram.percentile(50) == 0)
        histogram.record(42)
        #expect(histogram.min == 42)
        #expect(histogram.max == 42)
    }

    @Test func copiesAreIndependentValues() {
        var original = LatencyHistogram()
        original.record(10)
        var copy = original
        copy.record(20)
        #expect(original.count == 1)
        #expect(copy.count == 2)
        #expect(original.max == 10)
    }
}
