/// Text taken from input (a file's value, a flag, a request) and shown inside a message or a
/// report line: every character that could split the line or drive the terminal is escaped,
/// so error text stays one line of plain text whatever the input holds.
///
/// Escaped: C0 controls (`\n`, `\r`, `\t`, others as `\u{1B}`), DEL, C1 controls, the line and
/// paragraph separators and the bidirectional formatting characters (which reorder what a
/// terminal shows). Bytes that are not UTF-8 show as `\xFF`. Everything else is unchanged.
public enum DisplayText {
    /// `text` with every character a terminal would act on escaped (unchanged when it has none).
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { append(scalar, to: &out) }
        return String(out)
    }

    /// `bytes` as text: valid UTF-8 as `escaped` shows it, each byte of an invalid sequence as `\xNN`.
    public static func escaped<Bytes: Collection>(bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out = String.UnicodeScalarView()
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var pending = bytes.makeIterator()  // trails `iterator`, to show the bytes of an error
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                for _ in 0..<encoded.count { _ = pending.next() }
                append(Unicode.UTF8.decode(encoded), to: &out)
            case .error(let length):
                for _ in 0..<length {
                    let byte = pending.next() ?? 0
                    out.append(contentsOf: "\\x\(hex(UInt32(byte), digits: 2))".unicodeScalars)
                }
            case .emptyInput:
                return String(out)
            }
        }
    }

    /// Whether `scalar` is shown escaped.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true  // C0, DEL, C1
        case 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func append(_ scalar: Unicode.Scalar, to out: inout String.UnicodeScalarView) {
        guard needsEscape(scalar) else {
            out.append(scalar)
            return
        }
        switch scalar {
        case "\n": out.append(contentsOf: "\\n".unicodeScalars)
        case "\r": out.append(contentsOf: "\\r".unicodeScalars)
        case "\t": out.append(contentsOf: "\\t".unicodeScalars)
        default: out.append(contentsOf: "\\u{\(hex(scalar.value, digits: scalar.value > 0xFF ? 4 : 2))}".unicodeScalars)
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
