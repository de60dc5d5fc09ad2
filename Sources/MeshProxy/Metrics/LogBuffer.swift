import MeshCore
import MeshHTTP

/// A growable byte buffer that log lines are written into piece by piece with plain memory
/// copies (no per-append checks of an array's uniqueness): the access log's, written out
/// whole and then reused. JSON strings are escaped; printable ASCII is copied as it is.
final class LogBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Forgets every byte (keeps the memory).
    func clear() { count = 0 }

    /// Room for `more` bytes.
    @inline(__always) func reserve(_ more: Int) {
        guard count + more > capacity else { return }
        let grown = max(capacity * 2, count + more)
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = grown
    }

    @inline(__always) func byte(_ value: UInt8) {
        reserve(1)
        base[count] = value
        count += 1
    }

    /// Bytes as they are (literals: keys, punctuation). Inlined, so a literal's length is a
    /// constant and its copy a few moves rather than a call.
    @inline(__always) func raw(_ text: StaticString) {
        text.withUTF8Buffer { raw($0) }
    }

    @inline(__always) func raw(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    func raw(_ bytes: [UInt8]) { bytes.withUnsafeBufferPointer { raw($0) } }

    /// A JSON string: quoted, escaped when it has to be.
    func string(_ text: String) {
        var text = text
        text.withUTF8 { string($0) }
    }

    func string(_ bytes: UnsafeBufferPointer<UInt8>) {
        var plain = true
        for byte in bytes where byte < 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            plain = false
            break
        }
        if plain {
            reserve(bytes.count + 2)
            base[count] = UInt8(ascii: "\"")
            if let source = bytes.baseAddress { (base + count + 1).update(from: source, count: bytes.count) }
            base[count + 1 + bytes.count] = UInt8(ascii: "\"")
            count += bytes.count + 2
        } else {
            var escaped: [UInt8] = []
            JSONWriter.appendString(bytes, into: &escaped)
            raw(escaped)
        }
    }

    /// `,"method":"GET","path":"/x","status":200,"flags":"-"`: what access lines and spans
    /// both say of a request.
    func requestFields(method: HTTPMethod, path: [UInt8], status: Int, flags: ResponseFlags) {
        raw(",\"method\":")
        method.name.withUTF8Buffer { string($0) }
        raw(",\"path\":")
        path.withUnsafeBufferPointer { string($0) }
        raw(",\"status\":")
        decimal(status)
        raw(",\"flags\":")
        if flags.isEmpty { raw("\"-\"") } else { string(flags.codeText) }
    }

    /// A JSON string's content without its quotes, escaped when it has to be.
    func escaped(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            let start = count
            string(bytes)
            // Drop the quotes `string` put around it.
            (base + start).update(from: base + start + 1, count: count - start - 2)
            count -= 2
        }
    }

    /// `value`'s low `digits` hex digits, lower case, leading zeros kept.
    func hex(_ value: UInt64, digits: Int) {
        reserve(digits)
        TraceParent.writeHex(value, digits: digits, to: base + count)
        count += digits
    }

    /// A whole number in decimal.
    func decimal(_ value: Int) {
        if value < 0 {
            byte(UInt8(ascii: "-"))
            decimal(UInt64(-Int64(value)))
        } else {
            decimal(UInt64(value))
        }
    }

    func decimal(_ value: UInt64) {
        var width = 1
        var power: UInt64 = 10
        while width < 20, value >= power {
            width += 1
            power = power &* 10
        }
        digits(value, width: width)
    }

    /// `value` with exactly `width` digits (leading zeros).
    func digits(_ value: UInt64, width: Int) {
        reserve(width)
        var rest = value
        var at = base + count + width
        while at > base + count {
            at -= 1
            at.pointee = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        count += width
    }
}
