@testable import MeshHTTP
import Testing

/// The word-at-a-time (SWAR) byte checks must agree with the byte-at-a-time definitions for every
/// byte value at every position of the word.
@Suite("HTTPByteClass")
struct HTTPByteClassTests {
    /// Words made of a filler byte with `b` at position `k`.
    static func words(_ b: UInt8, filler: UInt8) -> [UInt64] {
        (0..<8).map { k in
            var bytes = [UInt8](repeating: filler, count: 8)
            bytes[k] = b
            return bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        }
    }

    static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    @Test func tcharMatchesRFC() {
        let extra = Array("!#$%&'*+-.^_`|~".utf8)
        for c in 0...255 {
            let b = UInt8(c)
            #expect(HTTPByteClass.isTChar(b) == (Self.isAlnum(b) || extra.contains(b)), "byte \(c)")
        }
    }

    @Test func nameWordAgreesWithBytewiseCheck() {
        for c in 0...255 {
            let b = UInt8(c)
            let expected = Self.isAlnum(b) || b == UInt8(ascii: "-")
            for filler in [UInt8(ascii: "a"), UInt8(ascii: "Z"), UInt8(ascii: "5"), UInt8(ascii: "-")] {
                for w in Self.words(b, filler: filler) {
                    #expect(HTTPByteClass.isNameWord(w) == expected, "byte \(c)")
                }
            }
        }
    }

    @Test func hostWordAgreesWithBytewiseCheck() {
        for c in 0...255 {
            let b = UInt8(c)
            let expected = Self.isAlnum(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":")
            for w in Self.words(b, filler: UInt8(ascii: "x")) + Self.words(b, filler: UInt8(ascii: ".")) {
                #expect(HTTPByteClass.isHostWord(w) == expected, "byte \(c)")
            }
            if expected { #expect(HTTPByteClass.isHostChar(b)) }
        }
    }

    @Test func targetWordAgreesWithBytewiseCheck() {
        for c in 0...255 {
            let b = UInt8(c)
            let expected = b == 0x20 || b == UInt8(ascii: "#") || b == UInt8(ascii: "?") || b >= 0x7F
            for filler in [UInt8(ascii: "a"), UInt8(ascii: "/"), UInt8(ascii: "~"), UInt8(ascii: "!")] {
                for w in Self.words(b, filler: filler) {
                    // Controls never reach this check; only non-controls must be exact.
                    if b >= 0x20 { #expect(HTTPByteClass.targetWordNeedsCheck(w) == expected, "byte \(c)") }
                }
            }
        }
    }

    @Test func firstControlFindsTheFirstControlAnywhere() {
        for c in 0...255 {
            let b = UInt8(c)
            let isControl = b < 0x20 || b == 0x7F
            for length in [1, 7, 8, 9, 17, 33] {
                for position in 0..<length {
                    var bytes = [UInt8](repeating: UInt8(ascii: "v"), count: length)
                    bytes[position] = b
                    bytes.withUnsafeBufferPointer { buf in
                        let p = buf.baseAddress!
                        let found = HTTPByteClass.firstControl(p, from: 0, to: length)
                        #expect(found == (isControl ? position : length), "byte \(c) at \(position) of \(length)")
                        let tabAware = HTTPByteClass.firstControlExceptTab(p, from: 0, to: length)
                        #expect(tabAware == (isControl && b != 0x09 ? position : length), "byte \(c) at \(position) of \(length)")
                    }
                }
            }
        }
    }

    @Test func hexAndLowercase() {
        for c in 0...255 {
            let b = UInt8(c)
            let expectedHex: UInt8
            switch b {
            case 0x30...0x39: expectedHex = b - 0x30
            case 0x41...0x46: expectedHex = b - 0x41 + 10
            case 0x61...0x66: expectedHex = b - 0x61 + 10
            default: expectedHex = 0xFF
            }
            #expect(HTTPByteClass.hexValue(b) == expectedHex, "byte \(c)")
            #expect(HTTPByteClass.lower(b) == ((0x41...0x5A).contains(b) ? b + 0x20 : b), "byte \(c)")
        }
    }
}
