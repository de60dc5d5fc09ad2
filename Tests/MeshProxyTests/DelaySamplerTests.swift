import MeshConfig
import MeshCore
@testable import MeshProxy
import Testing

/// Delay distributions over seeded draws: bounds, moments within tolerance, replay.
@Suite struct DelaySamplerTests {
    static let ms = 1_000_000.0

    static func draws(_ config: FaultConfig.Delay, count: Int = 20_000, seed: UInt64 = 7) throws -> [Double] {
        let sampler = try DelaySampler(config)
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in Double(sampler.draw(using: &random)) }
    }

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    static func stddev(_ values: [Double]) -> Double {
        let m = mean(values)
        return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
    }

    @Test func fixed() throws {
        #expect(try Self.draws(FaultConfig.Delay(distribution: "fixed", value: "250ms"), count: 10).allSatisfy { $0 == 250 * Self.ms })
    }

    @Test func uniformStaysInItsBoundsWithTheRightMean() throws {
        let values = try Self.draws(FaultConfig.Delay(distribution: "uniform", min: "10ms", max: "50ms"))
        #expect(values.allSatisfy { $0 >= 10 * Self.ms && $0 <= 50 * Self.ms })
        #expect(abs(Self.mean(values) - 30 * Self.ms) < 0.5 * Self.ms)
        // The standard deviation of U(a, b) is (b − a)/√12.
        #expect(abs(Self.stddev(values) - 40 * Self.ms / 12.0.squareRoot()) < 0.5 * Self.ms)
    }

    @Test func normalHasItsMeanAndStandardDeviation() throws {
        let values = try Self.draws(FaultConfig.Delay(distribution: "normal", mean: "100ms", stddev: "20ms"))
        #expect(abs(Self.mean(values) - 100 * Self.ms) < 1 * Self.ms)
        #expect(abs(Self.stddev(values) - 20 * Self.ms) < 1 * Self.ms)
        // About 68% within one standard deviation.
        let within = values.filter { abs($0 - 100 * Self.ms) <= 20 * Self.ms }.count
        #expect(abs(Double(within) / Double(values.count) - 0.6827) < 0.02)
    }

    @Test func normalNeverGoesBelowZero() throws {
        let values = try Self.draws(FaultConfig.Delay(distribution: "normal", mean: "10ms", stddev: "20ms"))
        #expect(values.allSatisfy { $0 >= 0 })
        #expect(values.contains(0))
    }

    /// Pareto(scale, shape): at least scale; mean scale·shape/(shape−1); median scale·2^(1/shape).
    @Test func paretoHasAHeavyTail() throws {
        let values = try Self.draws(FaultConfig.Delay(distribution: "pareto", scale: "10ms", shape: 3), count: 40_000)
        #expect(values.allSatisfy { $0 >= 10 * Self.ms })
        #expect(abs(Self.mean(values) - 15 * Self.ms) < 0.5 * Self.ms)
        let median = values.sorted()[values.count / 2]
        #expect(abs(median - 10 * Self.ms * MeshMath.pow(2, 1.0 / 3)) < 0.2 * Self.ms)
        // P(X > 10·scale) = 10^-shape: the tail is there, and thin enough.
        let tail = Double(values.filter { $0 > 100 * Self.ms }.count) / Double(values.count)
        #expect(tail > 0 && tail < 0.003)
    }

    @Test func drawsAreCappedAtAnHour() throws {
        let values = try Self.draws(FaultConfig.Delay(distribution: "pareto", scale: "30m", shape: 0.05), count: 200)
        #expect(values.allSatisfy { $0 <= Double(DelaySampler.maximum) })
        #expect(values.contains(Double(DelaySampler.maximum)))
    }

    @Test func theSameSeedGivesTheSameDelays() throws {
        let config = FaultConfig.Delay(distribution: "normal", mean: "100ms", stddev: "20ms")
        #expect(try Self.draws(config, count: 50, seed: 9) == Self.draws(config, count: 50, seed: 9))
        #expect(try Self.draws(config, count: 50, seed: 9) != Self.draws(config, count: 50, seed: 10))
    }

    @Test func badFieldsAreErrors() {
        #expect(throws: ConfigError.self) { try DelaySampler(FaultConfig.Delay(distribution: "fixed", value: "soon")) }
        #expect(throws: ConfigError.self) { try DelaySampler(FaultConfig.Delay(distribution: "uniform", min: "5ms", max: "1ms")) }
        #expect(throws: ConfigError.self) { try DelaySampler(FaultConfig.Delay(distribution: "pareto", scale: "1ms", shape: 0)) }
        #expect(throws: ConfigError.self) { try DelaySampler(FaultConfig.Delay(distribution: "lognormal")) }
    }
}
