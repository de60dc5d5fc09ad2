// The meshbed duration syntax: one non-negative decimal number followed by one unit.
//
//     250ms   2s   1.5s   1m   24h   100us   100µs   7ns   0s
//
// Units: `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`. Compound forms (`1m30s`), signs,
// whitespace, exponents and a missing unit are rejected. Values are exact at nanosecond
// resolution: a fraction that does not come out to a whole number of nanoseconds
// (`0.5ns`) is rejected, as is anything above `Int64.max` nanoseconds (about 292 years).

extension Duration {
    /// Parses meshbed duration text such as `250ms`, `1.5s` or `24h`; `nil` if malformed,
    /// negative, unitless, sub-nanosecond or out of range (see the file header for the grammar).
    public init?(meshbed text: some StringProtocol) {
        guard let nanoseconds = MeshbedDurationSyntax.parseNanoseconds(Substring(text)) else {
            return nil
        }
        self = .nanoseconds(nanoseconds)
    }

    /// Exact, compact text that `Duration(meshbed:)` parses back to the same value
    /// (at nanosecond resolution): `0s`, `7ns`, `1.5us`, `1.234567ms`, `90s`, `2m`, `1h`.
    ///
    /// Whole hours print as `h` and whole minutes as `m`; anything else uses the largest of
    /// `s`, `ms`, `us`, `ns` that keeps the integer part non-zero. Negative values get a `-`.
    public var meshbedDescription: String {
        MeshbedDurationSyntax.format(nanoseconds: meshbedExactNanoseconds, fractionDigits: nil)
    }

    /// Like `meshbedDescription`, but rounded (half up) to at most `fractionDigits` digits
    /// after the decimal point, for reports: `1.235ms`, `12.5us`, `3s`. Does not always
    /// parse back to the same value.
    public func meshbedDescription(fractionDigits: Int) -> String {
        precondition(fractionDigits >= 0, "fractionDigits must not be negative")
        return MeshbedDurationSyntax.format(
            nanoseconds: meshbedExactNanoseconds, fractionDigits: fractionDigits)
    }

    /// The duration in seconds as a `Double` (e.g. for rates and reports).
    public var meshbedSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// The duration in whole nanoseconds, truncated toward zero and saturated to the
    /// `Int64` range.
    public var meshbedNanoseconds: Int64 {
        let value = meshbedExactNanoseconds
        if value > Int128(Int64.max) { return .max }
        if value < Int128(Int64.min) { return .min }
        return Int64(value)
    }

    /// The duration in nanoseconds, truncated toward zero, without overflow.
    var meshbedExactNanoseconds: Int128 {
        let (seconds, attoseconds) = components
        let total = Int128(seconds) * 1_000_000_000_000_000_000 + Int128(attoseconds)
        return total / 1_000_000_000
    }
}

/// The parser and formatter behind `Duration(meshbed:)` and `meshbedDescription`.
enum MeshbedDurationSyntax {
    static let nanosecondsPerSecond: UInt128 = 1_000_000_000
    static let nanosecondsPerMinute: UInt128 = 60 * nanosecondsPerSecond
    static let nanosecondsPerHour: UInt128 = 60 * nanosecondsPerMinute

    /// Nanoseconds per unit for each accepted unit spelling.
    static func nanosecondsPerUnit(_ unit: Substring) -> UInt128? {
        switch unit {
        case "ns": 1
        case "us", "\u{B5}s", "\u{3BC}s": 1_000
        case "ms": 1_000_000
        case "s": nanosecondsPerSecond
        case "m": nanosecondsPerMinute
        case "h": nanosecondsPerHour
        default: nil
        }
    }

    static func parseNanoseconds(_ text: Substring) -> Int64? {
        let utf8 = text.utf8
        var index = utf8.startIndex

        // Integer part: at least one ASCII digit.
        var integerPart: UInt128 = 0
        var integerDigits = 0
        while index < utf8.endIndex, let digit = asciiDigit(utf8[index]) {
            integerPart = integerPart * 10 + UInt128(digit)
            // Anything above Int64.max is out of range whatever the unit; stop early so
            // the accumulator can never overflow.
            if integerPart > UInt128(Int64.max) { return nil }
            integerDigits += 1
            utf8.formIndex(after: &index)
        }
        guard integerDigits > 0 else { return nil }

        // Optional fraction: a dot followed by at least one digit. Trailing zeros are
        // insignificant; significant digits are kept as fraction / 10^fractionScale.
        var fraction: UInt128 = 0
        var fractionScale: UInt128 = 1
        var pendingZeros = 0
        if index < utf8.endIndex, utf8[index] == UInt8(ascii: ".") {
            utf8.formIndex(after: &index)
            var fractionDigits = 0
            while index < utf8.endIndex, let digit = asciiDigit(utf8[index]) {
                fractionDigits += 1
                if digit == 0 {
                    pendingZeros += 1
                } else {
                    // No unit is finer than 1ns in more than 13 decimal places (1h is
                    // 2^13 * 3^2 * 5^11 ns), so more significant digits cannot be exact.
                    var zerosAndDigit = pendingZeros + 1
                    while zerosAndDigit > 0 {
                        fraction *= 10
                        fractionScale *= 10
                        zerosAndDigit -= 1
                        if fractionScale > 10_000_000_000_000 { return nil }
                    }
                    fraction += UInt128(digit)
                    pendingZeros = 0
                }
                utf8.formIndex(after: &index)
            }
            guard fractionDigits > 0 else { return nil }
        }

        guard let perUnit = nanosecondsPerUnit(text[index...]) else { return nil }

        let fractionNanoseconds = fraction * perUnit
        guard fractionNanoseconds % fractionScale == 0 else { return nil }
        let total = integerPart * perUnit + fractionNanoseconds / fractionScale
        guard total <= UInt128(Int64.max) else { return nil }
        return Int64(total)
    }

    static func format(nanoseconds value: Int128, fractionDigits: Int?) -> String {
        let sign = value < 0 ? "-" : ""
        let magnitude = value.magnitude
        if magnitude == 0 { return "0s" }
        if magnitude % nanosecondsPerHour == 0 {
            return "\(sign)\(magnitude / nanosecondsPerHour)h"
        }
        if magnitude % nanosecondsPerMinute == 0 {
            return "\(sign)\(magnitude / nanosecondsPerMinute)m"
        }

        // (nanoseconds per unit, decimal places that unit can show exactly, suffix), small to large.
        let units: [(scale: UInt128, places: Int, suffix: String)] = [
            (1, 0, "ns"), (1_000, 3, "us"), (1_000_000, 6, "ms"), (1_000_000_000, 9, "s"),
        ]
        var unit = units.lastIndex { magnitude >= $0.scale } ?? 0
        while true {
            let (scale, places, suffix) = units[unit]
            let digits = min(fractionDigits ?? places, places)
            let factor = power10(digits)
            // The value in units of 10^-digits of the chosen unit, rounded half up.
            let (quotient, remainder) = (magnitude * factor).quotientAndRemainder(dividingBy: scale)
            let scaled = remainder * 2 >= scale ? quotient + 1 : quotient
            // Rounding can carry into the next unit (999.9996ms -> 1000ms -> 1s).
            if scaled >= 1_000 * factor, unit + 1 < units.count {
                unit += 1
                continue
            }
            return sign + decimal(scaled, places: digits) + suffix
        }
    }

    /// `value / 10^places` as decimal text with trailing fractional zeros removed.
    static func decimal(_ value: UInt128, places: Int) -> String {
        let factor = power10(places)
        let whole = value / factor
        var fraction = value % factor
        if fraction == 0 { return "\(whole)" }
        var width = places
        while fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        let digits = "\(fraction)"
        let padding = String(repeating: "0", count: width - digits.count)
        return "\(whole).\(padding)\(digits)"
    }

    static func power10(_ exponent: Int) -> UInt128 {
        var result: UInt128 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    static func asciiDigit(_ byte: UInt8) -> UInt8? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : nil
    }
}
