import MeshConfig
import MeshCore

/// Draws the delay of a `delay` fault, in nanoseconds, from its distribution
/// (`FaultConfig.Delay`): fixed, uniform, normal (never below 0) or Pareto (type I). Every
/// draw is capped at one hour. Draws consume a caller's `SeededRandom`, so a seeded run
/// delays the same requests by the same amounts.
enum DelaySampler: Sendable, Equatable {
    case fixed(UInt64)
    case uniform(min: UInt64, max: UInt64)
    case normal(mean: Double, stddev: Double)
    case pareto(scale: Double, shape: Double)

    /// The cap on any draw (one hour).
    static let maximum: UInt64 = 3_600_000_000_000

    /// Compiles the wire form; a field that is missing or does not parse is an error.
    init(_ config: FaultConfig.Delay) throws(ConfigError) {
        func nanoseconds(_ text: String?, _ field: String) throws(ConfigError) -> UInt64 {
            guard let text, let duration = Duration(meshbed: text) else {
                throw ConfigError("delay.\(field): expected a duration, got '\(text ?? "nothing")'")
            }
            return UInt64(clamping: duration.meshbedNanoseconds)
        }
        switch config.distribution {
        case "fixed": self = .fixed(try nanoseconds(config.value, "value"))
        case "uniform":
            let min = try nanoseconds(config.min, "min"), max = try nanoseconds(config.max, "max")
            guard min <= max else { throw ConfigError("delay: min is above max") }
            self = .uniform(min: min, max: max)
        case "normal":
            self = .normal(mean: Double(try nanoseconds(config.mean, "mean")), stddev: Double(try nanoseconds(config.stddev, "stddev")))
        case "pareto":
            guard let shape = config.shape, shape > 0 else { throw ConfigError("delay.shape: expected a number above 0") }
            self = .pareto(scale: Double(try nanoseconds(config.scale, "scale")), shape: shape)
        default:
            throw ConfigError("delay.distribution: unknown distribution '\(config.distribution)'")
        }
    }

    /// One delay.
    func draw(using random: inout SeededRandom) -> UInt64 {
        let value: Double
        switch self {
        case .fixed(let delay): return min(delay, Self.maximum)
        case .uniform(let low, let high):
            guard high > low else { return min(low, Self.maximum) }
            return min(low + random.next() % (high - low + 1), Self.maximum)
        case .normal(let mean, let stddev):
            value = mean + stddev * Self.standardNormal(&random)
        case .pareto(let scale, let shape):
            // Inverse transform: scale / U^(1/shape) with U in (0, 1].
            let u = 1 - Self.unit(&random)
            value = scale * MeshMath.exp(-MeshMath.log(u) / shape)
        }
        guard value > 0 else { return 0 }
        return value >= Double(Self.maximum) ? Self.maximum : UInt64(value)
    }

    /// One standard normal draw (Marsaglia's polar method: a point uniform in the unit
    /// disc, rejected outside it, gives a normal without trigonometry).
    private static func standardNormal(_ random: inout SeededRandom) -> Double {
        while true {
            let u = 2 * unit(&random) - 1, v = 2 * unit(&random) - 1
            let s = u * u + v * v
            if s > 0, s < 1 { return u * (-2 * MeshMath.log(s) / s).squareRoot() }
        }
    }

    /// A uniform double in [0, 1) from 53 random bits.
    private static func unit(_ random: inout SeededRandom) -> Double {
        Double(random.next() >> 11) * 0x1p-53
    }
}
