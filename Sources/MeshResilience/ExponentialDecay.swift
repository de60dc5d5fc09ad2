/// `e^(-x)` for the latency estimates' decay, with the standard library only (MeshCore's
/// modules use neither Foundation nor Glibc): `x = k ln 2 + r` with `0 ≤ r < ln 2`, then
/// `2^(-k)` exactly and `e^(-r)` by its Taylor polynomial to degree 17 in Horner form (no
/// division; the first omitted term is below 1e-17), accurate to a few units in the last
/// place for the `x` a balancer sees.
enum ExponentialDecay {
    /// The weight `e^(-elapsed / period)` that an estimate keeps after `elapsed` nanoseconds
    /// with a decay period of `period` nanoseconds (a period of 0 forgets at once).
    static func factor(elapsed: UInt64, period: UInt64) -> Double {
        guard elapsed > 0 else { return 1 }
        guard period > 0 else { return 0 }
        return negativeExponential(Double(elapsed) / Double(period))
    }

    /// `e^(-x)` for `x` ≥ 0 (negative `x` counts as 0).
    static func negativeExponential(_ x: Double) -> Double {
        guard x > 0 else { return 1 }
        guard x < 746 else { return 0 }
        let ln2 = 0.693_147_180_559_945_309_417_232_121_458
        let k = (x * 1.442_695_040_888_963_407_359_924_681_001_9).rounded(.down)  // x / ln 2
        let y = -Swift.max(x - k * ln2, 0)
        // Σ y^n / n! for n = 0...17, the coefficients being 1/n!.
        var sum = 2.811_457_254_345_520_6e-15
        sum = sum * y + 4.779_477_332_387_385e-14
        sum = sum * y + 7.647_163_731_819_816e-13
        sum = sum * y + 1.147_074_559_772_972_5e-11
        sum = sum * y + 1.605_904_383_682_161_3e-10
        sum = sum * y + 2.087_675_698_786_81e-09
        sum = sum * y + 2.505_210_838_544_172e-08
        sum = sum * y + 2.755_731_922_398_589e-07
        sum = sum * y + 2.755_731_922_398_589_3e-06
        sum = sum * y + 2.480_158_730_158_73e-05
        sum = sum * y + 0.000_198_412_698_412_698_4
        sum = sum * y + 0.001_388_888_888_888_889
        sum = sum * y + 0.008_333_333_333_333_333
        sum = sum * y + 0.041_666_666_666_666_664
        sum = sum * y + 0.166_666_666_666_666_66
        sum = sum * y + 0.5
        sum = sum * y + 1
        sum = sum * y + 1
        return Double(sign: .plus, exponent: -Int(k), significand: sum)
    }
}
