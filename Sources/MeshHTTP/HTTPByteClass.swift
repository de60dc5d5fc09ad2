/// Byte classes of the RFC 9110/9112 grammar as constant bit tests (no tables, no globals).
enum HTTPByteClass {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A

    /// tchar: "!#$%&'*+-.^_`|~", DIGIT, ALPHA.
    @inline(__always)
    static func isTChar(_ c: UInt8) -> Bool {
        let word: UInt64 = c < 64 ? 0x03FF_6CFA_0000_0000 : c < 128 ? 0x57FF_FFFF_C7FF_FFFE : 0
        return word >> UInt64(c & 63) & 1 != 0
    }

    /// Bytes allowed in a Host value: reg-name, IP-literal brackets, port.
    @inline(__always)
    static func isHostChar(_ c: UInt8) -> Bool {
        let word: UInt64 = c < 64 ? 0x2FFF_7FF2_0000_0000 : c < 128 ? 0x47FF_FFFE_AFFF_FFFE : 0
        return word >> UInt64(c & 63) & 1 != 0
    }

    /// SP or HTAB.
    @inline(__always)
    static func isOWS(_ c: UInt8) -> Bool { c == sp || c == htab }

    /// A field-value byte that is not whitespace: VCHAR or obs-text.
    @inline(__always)
    static func isFieldVChar(_ c: UInt8) -> Bool { c > 0x20 && c != 0x7F }

    /// ASCII lowercase of `c`.
    @inline(__always)
    static func lower(_ c: UInt8) -> UInt8 { c &- 0x41 < 26 ? c | 0x20 : c }

    /// Value of a hex digit, or 0xFF.
    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8 {
        if c &- 0x30 < 10 { return c &- 0x30 }
        let l = c | 0x20
        if l &- 0x61 < 6 { return l &- 0x61 &+ 10 }
        return 0xFF
    }

    /// Index of the first control byte (below 0x20, HTAB included) or DEL in `p[start..<end]`, or `end`.
    /// Checks 8 bytes at a time (SWAR); bytes 0x80 and above (obs-text) pass.
    @inline(__always)
    static func firstControl(_ p: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        var i = start
        let raw = UnsafeRawPointer(p)
        while i &+ 8 <= end {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // Some byte < 0x20 (exact for 0x20 <= 0x80), or some byte == 0x7F.
            let below = (x &- 0x2020_2020_2020_2020) & ~x & 0x8080_8080_8080_8080
            let y = x ^ 0x7F7F_7F7F_7F7F_7F7F
            let del = (y &- 0x0101_0101_0101_0101) & ~y & 0x8080_8080_8080_8080
            if below | del != 0 { break }
            i &+= 8
        }
        while i < end {
            let c = p[i]
            if c < 0x20 || c == 0x7F { break }
            i &+= 1
        }
        return i
    }

    // SWAR helpers: for bytes below 0x80, sums of a byte and a constant below 0x80 never carry into
    // the next byte, so each byte's bit 7 answers for that byte alone.
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let high: UInt64 = 0x8080_8080_8080_8080

    /// Bit 7 of each byte set when that byte (below 0x80) is in `lo...hi`.
    @inline(__always)
    private static func inRange(_ x: UInt64, _ lo: UInt64, _ hi: UInt64) -> UInt64 {
        (x &+ (0x80 &- lo) &* ones) & ~(x &+ (0x7F &- hi) &* ones)
    }

    /// Bit 7 of each byte set when that byte (below 0x80) equals `b`.
    @inline(__always)
    private static func equal(_ x: UInt64, _ b: UInt64) -> UInt64 {
        ~((x ^ (b &* ones)) &+ 0x7F7F_7F7F_7F7F_7F7F)
    }

    /// Bit 7 of each byte set when that byte (below 0x80) is ALPHA or DIGIT.
    @inline(__always)
    private static func alnum(_ x: UInt64) -> UInt64 {
        inRange(x | 0x2020_2020_2020_2020, 0x61, 0x7A) | inRange(x, 0x30, 0x39)
    }

    /// Whether all 8 bytes of `x` are ALPHA, DIGIT or '-' (the usual field-name bytes, all tchar).
    @inline(__always)
    static func isNameWord(_ x: UInt64) -> Bool {
        x & high == 0 && (alnum(x) | equal(x, 0x2D)) & high == high
    }

    /// Whether all 8 bytes of `x` are ALPHA, DIGIT, '-', '.' or ':' (the usual Host bytes, all host chars).
    @inline(__always)
    static func isHostWord(_ x: UInt64) -> Bool {
        x & high == 0 && (alnum(x) | equal(x, 0x2D) | equal(x, 0x2E) | equal(x, 0x3A)) & high == high
    }

    /// Whether any byte of the 8 in `x` is SP, '#', '?', DEL or non-ASCII (request-target scanning).
    @inline(__always)
    static func targetWordNeedsCheck(_ x: UInt64) -> Bool {
        @inline(__always) func hasByte(_ x: UInt64, _ b: UInt64) -> UInt64 {
            let y = x ^ (b &* 0x0101_0101_0101_0101)
            return (y &- 0x0101_0101_0101_0101) & ~y
        }
        let hits = hasByte(x, 0x20) | hasByte(x, 0x23) | hasByte(x, 0x3F) | hasByte(x, 0x7F) | x
        return hits & 0x8080_8080_8080_8080 != 0
    }

    /// Like `firstControl` but lets HTAB through (field values, reason phrases).
    @inline(__always)
    static func firstControlExceptTab(_ p: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        var i = firstControl(p, from: start, to: end)
        while i < end && p[i] == htab { i = firstControl(p, from: i &+ 1, to: end) }
        return i
    }

    /// Whether `p[0..<count]` equals the lowercase ASCII `s`, ignoring ASCII case in `p`.
    @inline(__always)
    static func equalsLowercase(_ p: UnsafePointer<UInt8>, _ count: Int, _ s: StaticString) -> Bool {
        guard count == s.utf8CodeUnitCount else { return false }
        let q = s.utf8Start
        for k in 0..<count where lower(p[k]) != q[k] { return false }
        return true
    }
}
