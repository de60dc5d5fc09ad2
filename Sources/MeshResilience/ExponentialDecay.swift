/// `e^(-x)` for the latency estimates' decay, with the standard library only (MeshCore's
/// modules use neither Foundation nor Glibc): range reduction by powers of two and a Taylor
/// series on the remainder, accurate to a few units in the last place for the `x` a
/// balancer sees.
enum ExponentialDecay {
    /// The weight `e^(-elapsed / period)` that an estimate keeps after `elapsed` nanoseconds
    /// with a decay period of `period` nanoseconds (a period of 0 forgets at once).
    static func factor(elapsed: UInt64, period: UInt64) -> Double {
        guard period > 0 else { return elapsed == 0 ? 1 : 0 }
        return negativeExponential(Double(elapsed) / Double(period))
    }

    /// `e^(-x)` for `x` ≥ 0 (negative `x` counts as 0).
    static func negativeExponential(_ x: Double) -> Double {
        guard x > 0 else { return 1 }
        guard x < 746 else { return 0 }
        let ln2 = 0.693_147_180_559_945_309_417_232_121_458
        // x = k ln 2 + r with 0 ≤ r < ln 2, so e^(-x) = 2^(-k) e^(-r).
        let k = (x / ln2).rounded(.down)
        let r = Swift.max(x - k * ln2, 0)
        var term = 1.0
        var sum = 1.0
        for n in 1...22 {
            term *= -r / Double(n)
            sum += term
        }
        return Double(sign: .plus, exponent: -Int(k), significand: sum)
    }
}
