/// A header block: the raw bytes of a head plus the offsets of each field, in one array.
///
/// Names are compared case-insensitively (ASCII). Values are returned with surrounding
/// whitespace (OWS) trimmed. Parsed headers share their storage with the head they came from.
public struct HTTPHeaders: Sendable, ExpressibleByDictionaryLiteral {
    /// The head bytes, zero padding to a multiple of 4, then 4 `UInt32`s per field:
    /// name start, name end, value start, value end.
    private var storage: [UInt8]
    /// Length of the head bytes at the front of `storage`.
    private var byteCount: Int
    /// Number of fields.
    public private(set) var count: Int

    /// No fields.
    public init() {
        storage = []
        byteCount = 0
        count = 0
    }

    /// Fields in the literal's order, added with `add(name:value:)`.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init()
        for (name, value) in elements { add(name: name, value: value) }
    }

    /// Wraps storage built by `build`.
    private init(storage: [UInt8], byteCount: Int, count: Int) {
        self.storage = storage
        self.byteCount = byteCount
        self.count = count
    }

    @inline(__always)
    private var tableStart: Int { (byteCount + 3) & ~3 }

    /// Whether there are no fields.
    public var isEmpty: Bool { count == 0 }

    /// The bytes the fields point into: for a parsed head, the whole head as received
    /// (start line, field lines and the final empty line); for built headers, the field lines.
    /// Fields added with `add` are appended as `name: value\r\n` lines.
    public var rawBytes: ArraySlice<UInt8> { storage[0..<byteCount] }

    @inline(__always)
    private func entry(_ i: Int) -> (nameStart: Int, nameEnd: Int, valueStart: Int, valueEnd: Int) {
        precondition(i >= 0 && i < count, "HTTPHeaders index out of range")
        let o = tableStart + i &* 16
        return storage.withUnsafeBytes { b in
            (Int(b.load(fromByteOffset: o, as: UInt32.self)),
             Int(b.load(fromByteOffset: o + 4, as: UInt32.self)),
             Int(b.load(fromByteOffset: o + 8, as: UInt32.self)),
             Int(b.load(fromByteOffset: o + 12, as: UInt32.self)))
        }
    }

    /// The name of field `i`, as received.
    public func name(at i: Int) -> ArraySlice<UInt8> {
        let e = entry(i)
        return storage[e.nameStart..<e.nameEnd]
    }

    /// The value of field `i`, without leading and trailing whitespace.
    public func value(at i: Int) -> ArraySlice<UInt8> {
        let e = entry(i)
        return storage[e.valueStart..<e.valueEnd]
    }

    /// Index of the first field named `name` (ASCII, compared case-insensitively).
    public func firstIndex(of name: StaticString) -> Int? {
        name.withUTF8Buffer { n in firstIndex(ofLowercased: n, from: 0) }
    }

    /// Index of the first field at or after `start` named `n`.
    func firstIndex(ofLowercased n: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < count else { return nil }
        let tableStart = self.tableStart
        let nameCount = n.count
        return storage.withUnsafeBytes { b -> Int? in
            let base = b.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var o = tableStart + start &* 16
            for i in start..<count {
                let s = Int(b.load(fromByteOffset: o, as: UInt32.self))
                let e = Int(b.load(fromByteOffset: o + 4, as: UInt32.self))
                o &+= 16
                guard e - s == nameCount else { continue }
                var k = 0
                while k < nameCount, HTTPByteClass.lower(base[s + k]) == HTTPByteClass.lower(n[k]) { k += 1 }
                if k == nameCount { return i }
            }
            return nil
        }
    }

    /// Whether a field named `name` is present.
    public func contains(_ name: StaticString) -> Bool { firstIndex(of: name) != nil }

    /// The value of the first field named `name`.
    public func firstValue(_ name: StaticString) -> ArraySlice<UInt8>? {
        firstIndex(of: name).map { value(at: $0) }
    }

    /// The values of all fields named `name`, in order.
    public func values(_ name: StaticString) -> [ArraySlice<UInt8>] {
        name.withUTF8Buffer { n in
            var result: [ArraySlice<UInt8>] = []
            var i = 0
            while let j = firstIndex(ofLowercased: n, from: i) {
                result.append(value(at: j))
                i = j + 1
            }
            return result
        }
    }

    /// The value of the first field named `name`, decoded as UTF-8 (a convenience for tests and the CLI).
    public func firstString(_ name: String) -> String? {
        var n = Array(name.utf8)
        for k in n.indices { n[k] = HTTPByteClass.lower(n[k]) }
        let i = n.withUnsafeBufferPointer { firstIndex(ofLowercased: $0, from: 0) }
        return i.map { String(decoding: value(at: $0), as: UTF8.self) }
    }

    /// Calls `body` with the name and value bytes of each field, in order (no copies, no retains per field).
    func forEachField(_ body: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) -> Void) {
        guard count > 0 else { return }
        let tableStart = self.tableStart
        storage.withUnsafeBytes { b in
            let base = b.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var o = tableStart
            for _ in 0..<count {
                let ns = Int(b.load(fromByteOffset: o, as: UInt32.self))
                let ne = Int(b.load(fromByteOffset: o + 4, as: UInt32.self))
                let vs = Int(b.load(fromByteOffset: o + 8, as: UInt32.self))
                let ve = Int(b.load(fromByteOffset: o + 12, as: UInt32.self))
                o &+= 16
                body(UnsafeBufferPointer(start: base + ns, count: ne - ns), UnsafeBufferPointer(start: base + vs, count: ve - vs))
            }
        }
    }

    /// Whether `name` is a field name (a non-empty token).
    public static func isValidName(_ name: some Collection<UInt8>) -> Bool {
        !name.isEmpty && name.allSatisfy(HTTPByteClass.isTChar)
    }

    /// Whether `value` can be a field value (VCHAR, obs-text, SP, HTAB; no CR, LF or other controls).
    public static func isValidValue(_ value: some Collection<UInt8>) -> Bool {
        value.allSatisfy { $0 == HTTPByteClass.htab || HTTPByteClass.isFieldVChar($0) || $0 == HTTPByteClass.sp }
    }

    /// Appends the field `name: value` (for building requests in clients and tests; not for the hot path).
    /// Traps if `name` is not a token or `value` holds CR, LF or other controls (header injection).
    public mutating func add(name: String, value: String) {
        add(name: Array(name.utf8), value: Array(value.utf8))
    }

    /// Appends the field `name: value` given as bytes; traps like `add(name:value:)` on invalid bytes.
    public mutating func add(name: [UInt8], value: [UInt8]) {
        precondition(HTTPHeaders.isValidName(name), "invalid HTTP field name")
        precondition(HTTPHeaders.isValidValue(value), "invalid HTTP field value")
        var valueStart = 0
        var valueEnd = value.count
        while valueStart < valueEnd, HTTPByteClass.isOWS(value[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart, HTTPByteClass.isOWS(value[valueEnd - 1]) { valueEnd -= 1 }

        let oldTableStart = tableStart
        let nameStart = byteCount
        let newByteCount = byteCount + name.count + 2 + value.count + 2
        let newTableStart = (newByteCount + 3) & ~3
        var new: [UInt8] = []
        new.reserveCapacity(newTableStart + (count + 1) * 16)
        new.append(contentsOf: storage[0..<byteCount])
        new.append(contentsOf: name)
        new.append(HTTPByteClass.colon)
        new.append(HTTPByteClass.sp)
        new.append(contentsOf: value)
        new.append(HTTPByteClass.cr)
        new.append(HTTPByteClass.lf)
        while new.count < newTableStart { new.append(0) }
        new.append(contentsOf: storage[oldTableStart..<(oldTableStart + count * 16)])
        let valueBase = nameStart + name.count + 2
        for v in [nameStart, nameStart + name.count, valueBase + valueStart, valueBase + valueEnd] {
            withUnsafeBytes(of: UInt32(v)) { new.append(contentsOf: $0) }
        }
        storage = new
        byteCount = newByteCount
        count += 1
    }

    /// Offsets of one field's name and value in the head bytes.
    struct FieldOffsets: Sendable {
        var nameStart: UInt32
        var nameEnd: UInt32
        var valueStart: UInt32
        var valueEnd: UInt32
    }

    /// Copies `length` head bytes from `p` and the field table into one new array: the only
    /// allocation of a parsed head. `table` offsets count from `rebase` bytes before `p`.
    static func build(head p: UnsafePointer<UInt8>, length: Int, table: UnsafeBufferPointer<FieldOffsets>, rebase: Int) -> HTTPHeaders {
        let image = HeadImage(head: p, length: length, table: table, shift: UInt32(truncatingIfNeeded: rebase))
        return HTTPHeaders(storage: Array(image), byteCount: length, count: table.count)
    }

    /// The bytes of a parsed head's storage, as a collection that `Array.init(_:)` copies in one
    /// pass (`_copyContents`). Going through `Array.init(_:)` rather than
    /// `Array(unsafeUninitializedCapacity:)` keeps the allocation specialized: the latter calls
    /// an unspecialized standard-library entry point that looks up generic metadata each time.
    private struct HeadImage: RandomAccessCollection {
        let head: UnsafePointer<UInt8>
        let length: Int
        let table: UnsafeBufferPointer<FieldOffsets>
        let shift: UInt32

        var tableStart: Int { (length + 3) & ~3 }
        var startIndex: Int { 0 }
        var endIndex: Int { tableStart + table.count * 16 }

        /// Byte `i` of the image (the slow path; `_copyContents` writes everything at once).
        subscript(i: Int) -> UInt8 {
            if i < length { return head[i] }
            if i < tableStart { return 0 }
            let f = table[(i - tableStart) / 16]
            let values = [f.nameStart, f.nameEnd, f.valueStart, f.valueEnd]
            return withUnsafeBytes(of: values[(i - tableStart) % 16 / 4] &- shift) { $0[i % 4] }
        }

        func _copyContents(initializing buffer: UnsafeMutableBufferPointer<UInt8>) -> (Iterator, Int) {
            let total = endIndex
            precondition(buffer.count >= total)
            let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
            raw.copyMemory(from: head, byteCount: length)
            var o = length
            while o < tableStart {
                buffer[o] = 0
                o += 1
            }
            for f in table {
                raw.storeBytes(of: f.nameStart &- shift, toByteOffset: o, as: UInt32.self)
                raw.storeBytes(of: f.nameEnd &- shift, toByteOffset: o + 4, as: UInt32.self)
                raw.storeBytes(of: f.valueStart &- shift, toByteOffset: o + 8, as: UInt32.self)
                raw.storeBytes(of: f.valueEnd &- shift, toByteOffset: o + 12, as: UInt32.self)
                o += 16
            }
            return (Iterator(image: self, position: total), total)
        }

        func makeIterator() -> Iterator { Iterator(image: self, position: 0) }

        struct Iterator: IteratorProtocol {
            let image: HeadImage
            var position: Int

            mutating func next() -> UInt8? {
                guard position < image.endIndex else { return nil }
                defer { position += 1 }
                return image[position]
            }
        }
    }

    /// `storage[start..<end]`: a slice of the head bytes.
    @inline(__always)
    func slice(_ start: Int, _ end: Int) -> ArraySlice<UInt8> { storage[start..<end] }
}
