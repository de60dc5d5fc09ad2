/// `ln` and `e^x` with the standard library only (MeshCore's users on the data path import
/// neither Foundation nor Glibc), for seeded draws from continuous distributions (fault
/// delays). Accurate to a few units in the last place over the ranges those draws use.
public enum MeshMath {
    private static let ln2 = 0.693_147_180_559_945_309_417_232_121_458

    /// The natural logarithm of `x` (> 0): `x = m·2^e` with `m` in [1, 2), then
    /// `ln m = 2·atanh((m−1)/(m+1))` by its series (the ratio is at most 1/3, so 20 terms
    /// reach full precision). `ln 0` is −∞; a negative `x` or NaN gives NaN.
    public static func log(_ x: Double) -> Double {
        guard x > 0 else { return x == 0 ? -.infinity : .nan }
        guard x.isFinite else { return x }
        let exponent = Double(x.exponent)
        let m = x.significand  // [1, 2)
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var term = s, sum = 0.0
        var n = 1.0
        for _ in 0..<20 {
            sum += term / n
            term *= s2
            n += 2
        }
        return 2 * sum + exponent * ln2
    }

    /// `e^x`: `x = k·ln 2 + r` with |r| ≤ ln 2 / 2, `e^r` by its Taylor series, times 2^k
    /// exactly. Overflows to +∞ above ~709.78 and underflows to 0 below ~−745.
    public static func exp(_ x: Double) -> Double {
        guard !x.isNaN else { return x }
        if x > 709.78 { return .infinity }
        if x < -745.2 { return 0 }
        let k = (x / ln2).rounded()
        let r = x - k * ln2
        var term = 1.0, sum = 1.0
        for n in 1...18 {
            term *= r / Double(n)
            sum += term
        }
        // 2^k in two steps, so a k near the ends of the range does not overflow the scale.
        let half = (k / 2).rounded(.towardZero)
        return sum * Double(sign: .plus, exponent: Int(half), significand: 1) * Double(sign: .plus, exponent: Int(k - half), significand: 1)
    }

    /// `base^exponent` for `base` > 0, as `e^(exponent·ln base)`.
    public static func pow(_ base: Double, _ exponent: Double) -> Double {
        exp(exponent * log(base))
    }
}
