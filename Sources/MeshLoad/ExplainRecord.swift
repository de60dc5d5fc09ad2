/// The parts of one `x-meshbed-explain` record (SPEC §7) that `--explain` aggregates, read
/// straight from the header value's bytes (no Foundation, no strings): the sidecar's mode,
/// each attempt's endpoint and retry reason, and the response flags. Strings are the raw
/// bytes between their quotes (names and codes have no escapes); every other field, and
/// any field a later sidecar adds, is skipped.
struct ExplainRecord {
    /// One try: the endpoint it went to, and the `retryOn` reason that sent the request on.
    struct Attempt {
        var endpoint: ArraySlice<UInt8>
        var retry: ArraySlice<UInt8>?
    }

    var mode: ArraySlice<UInt8> = []
    var attempts: [Attempt] = []
    /// `URX`, `UF,URX`, or `-` for none.
    var flags: ArraySlice<UInt8> = []

    /// Whether the record was written by the side that made the call (an outbound sidecar or the gateway).
    var isCallerSide: Bool { !mode.elementsEqual("inbound".utf8) }

    /// Reads one header value; nil when it is not a JSON object of that shape.
    static func read(_ value: ArraySlice<UInt8>) -> ExplainRecord? {
        var scanner = Scanner(bytes: value)
        var record = ExplainRecord()
        let complete = scanner.object { scanner, key in
            if key.elementsEqual("mode".utf8) {
                guard let text = scanner.string() else { return false }
                record.mode = text
            } else if key.elementsEqual("flags".utf8) {
                guard let text = scanner.string() else { return false }
                record.flags = text
            } else if key.elementsEqual("attempts".utf8) {
                return scanner.array { scanner in
                    var attempt = Attempt(endpoint: [])
                    let read = scanner.object { scanner, key in
                        if key.elementsEqual("endpoint".utf8) {
                            guard let text = scanner.string() else { return false }
                            attempt.endpoint = text
                        } else if key.elementsEqual("retry".utf8) {
                            guard let text = scanner.string() else { return false }
                            attempt.retry = text
                        } else {
                            return scanner.skipValue()
                        }
                        return true
                    }
                    if read { record.attempts.append(attempt) }
                    return read
                }
            } else {
                return scanner.skipValue()
            }
            return true
        }
        guard complete else { return nil }
        scanner.skipSpace()
        return scanner.atEnd ? record : nil
    }

    /// A forward-only JSON reader over bytes, just enough for records.
    struct Scanner {
        let bytes: ArraySlice<UInt8>
        var index: Int
        /// Nesting left before the reader gives up (a hostile header cannot recurse deeply).
        var depth = 16

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            index = bytes.startIndex
        }

        var atEnd: Bool { index >= bytes.endIndex }

        mutating func skipSpace() {
            while index < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.endIndex, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A string's raw bytes (escapes left as written).
        mutating func string() -> ArraySlice<UInt8>? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.endIndex {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index += 1
                    return bytes[start..<(index - 1)]
                case UInt8(ascii: "\\"): index += 2
                default: index += 1
                }
            }
            return nil
        }

        /// `{ "key": value, ... }`, calling `field` with each key and the scanner at its value.
        mutating func object(_ field: (inout Scanner, ArraySlice<UInt8>) -> Bool) -> Bool {
            guard depth > 0, take(UInt8(ascii: "{")) else { return false }
            depth -= 1
            defer { depth += 1 }
            if take(UInt8(ascii: "}")) { return true }
            repeat {
                guard let key = string(), take(UInt8(ascii: ":")), field(&self, key) else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}"))
        }

        /// `[ value, ... ]`, calling `element` with the scanner at each value.
        mutating func array(_ element: (inout Scanner) -> Bool) -> Bool {
            guard depth > 0, take(UInt8(ascii: "[")) else { return false }
            depth -= 1
            defer { depth += 1 }
            if take(UInt8(ascii: "]")) { return true }
            repeat {
                guard element(&self) else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]"))
        }

        /// Any value: string, number, literal, object or array.
        mutating func skipValue() -> Bool {
            skipSpace()
            guard index < bytes.endIndex else { return false }
            switch bytes[index] {
            case UInt8(ascii: "\""): return string() != nil
            case UInt8(ascii: "{"): return object { scanner, _ in scanner.skipValue() }
            case UInt8(ascii: "["): return array { $0.skipValue() }
            default:
                let start = index
                while index < bytes.endIndex, !"{}[],: \t\r\n\"".utf8.contains(bytes[index]) { index += 1 }
                return index > start
            }
        }
    }
}
