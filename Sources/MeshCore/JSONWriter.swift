/// Writes JSON straight into a byte buffer, for hot paths where building a dictionary
/// and serializing it would allocate per value. Keys and strings are escaped; bytes
/// that are not valid UTF-8 text are written as `\u00XX` (their Latin-1 reading).
public struct JSONWriter {
    private var needsComma = false
    private var out: UnsafeMutablePointer<[UInt8]>

    private init(_ out: UnsafeMutablePointer<[UInt8]>) {
        self.out = out
    }

    /// Writes `{ ... }` with the fields `body` adds.
    public static func object(into buffer: inout [UInt8], _ body: (inout JSONWriter) -> Void) {
        withUnsafeMutablePointer(to: &buffer) { pointer in
            var writer = JSONWriter(pointer)
            writer.out.pointee.append(UInt8(ascii: "{"))
            body(&writer)
            writer.out.pointee.append(UInt8(ascii: "}"))
        }
    }

    /// Writes `[ ... ]` with the elements `body` adds.
    public static func array(into buffer: inout [UInt8], _ body: (inout JSONArrayWriter) -> Void) {
        withUnsafeMutablePointer(to: &buffer) { pointer in
            pointer.pointee.append(UInt8(ascii: "["))
            var elements = JSONArrayWriter(out: pointer)
            body(&elements)
            pointer.pointee.append(UInt8(ascii: "]"))
        }
    }

    private mutating func key(_ name: String) {
        if needsComma { out.pointee.append(UInt8(ascii: ",")) }
        needsComma = true
        Self.appendString(name.utf8, into: &out.pointee)
        out.pointee.append(UInt8(ascii: ":"))
    }

    /// `"name": "value"`.
    public mutating func field(_ name: String, string value: String) {
        key(name)
        Self.appendString(value.utf8, into: &out.pointee)
    }

    /// `"name": "value"` from raw bytes.
    public mutating func field<C: Collection>(_ name: String, bytes value: C) where C.Element == UInt8 {
        key(name)
        Self.appendString(value, into: &out.pointee)
    }

    /// `"name": 123`.
    public mutating func field(_ name: String, integer value: some BinaryInteger) {
        key(name)
        Self.appendDecimal(value, into: &out.pointee)
    }

    /// `"name": 1.5` (finite values; others are written as null).
    public mutating func field(_ name: String, number value: Double) {
        key(name)
        if value.isFinite {
            out.pointee.append(contentsOf: "\(value)".utf8)
        } else {
            out.pointee.append(contentsOf: "null".utf8)
        }
    }

    /// `"name": true`.
    public mutating func field(_ name: String, bool value: Bool) {
        key(name)
        out.pointee.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// `"name": null`.
    public mutating func fieldNull(_ name: String) {
        key(name)
        out.pointee.append(contentsOf: "null".utf8)
    }

    /// `"name": { ... }`.
    public mutating func field(_ name: String, object body: (inout JSONWriter) -> Void) {
        key(name)
        var nested = JSONWriter(out)
        out.pointee.append(UInt8(ascii: "{"))
        body(&nested)
        out.pointee.append(UInt8(ascii: "}"))
    }

    /// `"name": [ ... ]`, where `body` writes the elements with the `element` methods.
    public mutating func field(_ name: String, array body: (inout JSONArrayWriter) -> Void) {
        key(name)
        out.pointee.append(UInt8(ascii: "["))
        var elements = JSONArrayWriter(out: out)
        body(&elements)
        out.pointee.append(UInt8(ascii: "]"))
    }

    /// `"name": <raw JSON>`; the caller vouches that `json` is valid JSON.
    public mutating func field(_ name: String, raw json: [UInt8]) {
        key(name)
        out.pointee.append(contentsOf: json)
    }

    /// Appends a quoted, escaped JSON string.
    public static func appendString(_ bytes: ArraySlice<UInt8>, into out: inout [UInt8]) {
        bytes.withUnsafeBufferPointer { appendString($0, into: &out) }
    }

    /// Appends a quoted, escaped JSON string. Runs of bytes that need no escaping (the
    /// common case: printable ASCII) are copied in one go.
    public static func appendString(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            // An escape or a non-ASCII sequence: the general path handles the rest of this byte.
            let end = byte >= 0x80 ? nonASCIIEnd(bytes, from: index) : index + 1
            appendEscapedRun(UnsafeBufferPointer(rebasing: bytes[index..<end]), into: &out)
            index = end
            runStart = index
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
        out.append(UInt8(ascii: "\""))
    }

    /// The end of the run of bytes >= 0x80 starting at `start`.
    private static func nonASCIIEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var end = start
        while end < bytes.count, bytes[end] >= 0x80 { end += 1 }
        return end
    }

    /// Escapes a short run with the general (slower) path, without the quotes.
    private static func appendEscapedRun(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var quoted: [UInt8] = []
        appendString(bytes.lazy.map { $0 }, into: &quoted)
        out.append(contentsOf: quoted[1..<(quoted.count - 1)])
    }

    /// Appends a quoted, escaped JSON string (any byte collection).
    public static func appendString<C: Collection>(_ bytes: C, into out: inout [UInt8]) where C.Element == UInt8 {
        // Contiguous bytes (a native string's UTF-8, an array) take the run-at-a-time path.
        if bytes.withContiguousStorageIfAvailable({ appendString($0, into: &out) }) != nil { return }
        out.append(UInt8(ascii: "\""))
        var iterator = bytes.makeIterator()
        var pending: [UInt8] = []
        while let byte = iterator.next() {
            if byte >= 0x80 {
                // Validate the UTF-8 sequence; write invalid bytes as \u00XX.
                let length = byte >= 0xF0 && byte <= 0xF4 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC2 && byte <= 0xDF ? 2 : 0
                pending.removeAll(keepingCapacity: true)
                pending.append(byte)
                var valid = length > 0
                while valid, pending.count < length {
                    guard let next = iterator.next() else { valid = false; break }
                    pending.append(next)
                    if next & 0xC0 != 0x80 { valid = false }
                }
                if valid, String(validating: pending, as: UTF8.self) != nil {
                    out.append(contentsOf: pending)
                } else {
                    for b in pending { appendEscaped(b, into: &out) }
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20, 0x7F: appendEscaped(byte, into: &out)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ byte: UInt8, into out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
    }

    /// Appends an integer in decimal without going through String.
    public static func appendDecimal(_ value: some BinaryInteger, into out: inout [UInt8]) {
        if value < 0 {
            out.append(UInt8(ascii: "-"))
            appendDecimal(UInt64(-Int64(value)), into: &out)
            return
        }
        var magnitude = UInt64(value)
        if magnitude < 10 {
            out.append(UInt8(ascii: "0") + UInt8(magnitude))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            out.append(contentsOf: buffer[(20 - count)...])
        }
    }
}

/// Writes the elements of a JSON array (see `JSONWriter.field(_:array:)`).
public struct JSONArrayWriter {
    fileprivate var out: UnsafeMutablePointer<[UInt8]>
    private var needsComma = false

    fileprivate init(out: UnsafeMutablePointer<[UInt8]>) {
        self.out = out
    }

    private mutating func separator() {
        if needsComma { out.pointee.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    /// A string element.
    public mutating func element(string value: String) {
        separator()
        JSONWriter.appendString(value.utf8, into: &out.pointee)
    }

    /// A string element from bytes (UTF-8; other bytes as escapes).
    public mutating func element(bytes value: [UInt8]) {
        separator()
        value.withUnsafeBufferPointer { JSONWriter.appendString($0, into: &out.pointee) }
    }

    /// An integer element.
    public mutating func element(integer value: some BinaryInteger) {
        separator()
        JSONWriter.appendDecimal(value, into: &out.pointee)
    }

    /// An object element.
    public mutating func element(object body: (inout JSONWriter) -> Void) {
        separator()
        JSONWriter.object(into: &out.pointee, body)
    }
}
