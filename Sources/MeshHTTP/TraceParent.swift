/// A W3C Trace Context `traceparent` header value (version `00`):
/// `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, lower-case hex, neither id all
/// zeros. Later versions are read by their first four fields, as the recommendation asks
/// (a longer value must go on with `-`); version `ff` is invalid. Ids are kept as integers,
/// so reading and writing one allocates nothing.
public struct TraceParent: Equatable, Sendable {
    /// The trace id's high and low 64 bits.
    public var traceHigh: UInt64
    public var traceLow: UInt64
    /// The span id of the caller's span (the parent of the next one).
    public var parent: UInt64
    /// Trace flags; bit 0 is `sampled`.
    public var flags: UInt8

    /// The value's length in version `00`.
    public static let length = 55

    public init(traceHigh: UInt64, traceLow: UInt64, parent: UInt64, flags: UInt8) {
        self.traceHigh = traceHigh
        self.traceLow = traceLow
        self.parent = parent
        self.flags = flags
    }

    /// Whether the caller recorded its span (bit 0 of the flags).
    public var sampled: Bool { flags & 1 != 0 }

    /// Reads a header value; nil when it is not a valid `traceparent` (then the receiver
    /// starts a new trace). Inlined into the caller, so the scan runs on the value's bytes
    /// rather than through a generic collection's witnesses.
    @inlinable
    public init?<Bytes: Collection<UInt8>>(parsing value: Bytes) {
        let parsed = value.withContiguousStorageIfAvailable { Self.parse($0) }
            ?? Array(value).withUnsafeBufferPointer { Self.parse($0) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// The value in `value`'s bytes, or nil.
    @usableFromInline
    static func parse(_ value: UnsafeBufferPointer<UInt8>) -> TraceParent? {
        guard value.count >= length else { return nil }
        guard let version = hex(value, from: 0, count: 2), version != 0xFF else { return nil }
        if version == 0 {
            guard value.count == length else { return nil }
        } else if value.count > length, value[length] != UInt8(ascii: "-") {
            return nil
        }
        guard value[2] == UInt8(ascii: "-"), value[35] == UInt8(ascii: "-"), value[52] == UInt8(ascii: "-"),
              let high = hex(value, from: 3, count: 16), let low = hex(value, from: 19, count: 16),
              let parent = hex(value, from: 36, count: 16), let flags = hex(value, from: 53, count: 2),
              high | low != 0, parent != 0
        else { return nil }
        return TraceParent(traceHigh: high, traceLow: low, parent: parent, flags: UInt8(flags))
    }

    /// Appends the version-`00` value with `span` as the parent id (written in place, then
    /// appended at once).
    public static func append(traceHigh: UInt64, traceLow: UInt64, span: UInt64, flags: UInt8, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { buffer in
            let at = buffer.baseAddress!
            at[0] = UInt8(ascii: "0")
            at[1] = UInt8(ascii: "0")
            at[2] = UInt8(ascii: "-")
            writeHex(traceHigh, digits: 16, to: at + 3)
            writeHex(traceLow, digits: 16, to: at + 19)
            at[35] = UInt8(ascii: "-")
            writeHex(span, digits: 16, to: at + 36)
            at[52] = UInt8(ascii: "-")
            writeHex(UInt64(flags), digits: 2, to: at + 53)
            out.append(contentsOf: UnsafeBufferPointer(start: at, count: length))
        }
    }

    /// Writes the low `digits` hex digits of `value` at `to`, lower case, leading zeros kept.
    @inlinable
    public static func writeHex(_ value: UInt64, digits: Int, to at: UnsafeMutablePointer<UInt8>) {
        if digits == 16 {
            let raw = UnsafeMutableRawPointer(at)
            raw.storeBytes(of: hexDigits(UInt32(truncatingIfNeeded: value >> 32)).bigEndian, as: UInt64.self)
            raw.storeBytes(of: hexDigits(UInt32(truncatingIfNeeded: value)).bigEndian, toByteOffset: 8, as: UInt64.self)
            return
        }
        var rest = value
        var index = digits
        while index > 0 {
            index &-= 1
            let nibble = UInt8(truncatingIfNeeded: rest) & 0xF
            at[index] = nibble &+ (nibble < 10 ? UInt8(ascii: "0") : UInt8(ascii: "a") &- 10)
            rest >>= 4
        }
    }

    /// The eight hex digits of `value` as the bytes of an integer, the last digit in the
    /// lowest byte (stored big-endian, they read in order): every nibble spread into its own
    /// byte, then all eight turned into ASCII at once (`0`–`9`, `a`–`f`).
    @inlinable
    static func hexDigits(_ value: UInt32) -> UInt64 {
        var x = UInt64(value)
        x = (x | x << 16) & 0x0000_FFFF_0000_FFFF
        x = (x | x << 8) & 0x00FF_00FF_00FF_00FF
        x = (x | x << 4) & 0x0F0F_0F0F_0F0F_0F0F
        let letters = ((x &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101  // 1 where the nibble is 10 or more
        return x &+ 0x3030_3030_3030_3030 &+ letters &* (UInt64(UInt8(ascii: "a")) &- UInt64(UInt8(ascii: "0")) &- 10)
    }

    /// `count` lower-case hex digits (at most 16) at `from`, or nil.
    private static func hex(_ value: UnsafeBufferPointer<UInt8>, from: Int, count: Int) -> UInt64? {
        var result: UInt64 = 0
        for index in from..<(from + count) {
            let byte = value[index]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            result = result << 4 | UInt64(nibble)
        }
        return result
    }
}
