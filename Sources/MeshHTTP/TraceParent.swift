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
    /// starts a new trace).
    public init?<Bytes: Collection<UInt8>>(parsing value: Bytes) where Bytes.Index == Int {
        let start = value.startIndex
        guard value.count >= Self.length else { return nil }
        guard let version = Self.hex(value, from: start, count: 2), version != 0xFF else { return nil }
        if version == 0 {
            guard value.count == Self.length else { return nil }
        } else if value.count > Self.length, value[start + Self.length] != UInt8(ascii: "-") {
            return nil
        }
        guard value[start + 2] == UInt8(ascii: "-"), value[start + 35] == UInt8(ascii: "-"), value[start + 52] == UInt8(ascii: "-"),
              let high = Self.hex(value, from: start + 3, count: 16), let low = Self.hex(value, from: start + 19, count: 16),
              let parent = Self.hex(value, from: start + 36, count: 16), let flags = Self.hex(value, from: start + 53, count: 2),
              high | low != 0, parent != 0
        else { return nil }
        self.init(traceHigh: high, traceLow: low, parent: parent, flags: UInt8(flags))
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
        var rest = value
        var index = digits
        while index > 0 {
            index &-= 1
            let nibble = UInt8(truncatingIfNeeded: rest) & 0xF
            at[index] = nibble &+ (nibble < 10 ? UInt8(ascii: "0") : UInt8(ascii: "a") &- 10)
            rest >>= 4
        }
    }

    /// `count` lower-case hex digits (at most 16) at `from`, or nil.
    private static func hex<Bytes: Collection<UInt8>>(_ value: Bytes, from: Int, count: Int) -> UInt64? where Bytes.Index == Int {
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
