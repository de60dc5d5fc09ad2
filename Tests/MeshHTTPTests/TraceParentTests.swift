import MeshHTTP
import Testing

/// W3C Trace Context `traceparent`: what is read, what is refused, what is written.
@Suite struct TraceParentTests {
    static let example = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func readsTheRecommendationsExample() throws {
        let value = try #require(TraceParent(parsing: Array(Self.example.utf8)))
        #expect(value.traceHigh == 0x4bf9_2f35_77b3_4da6 && value.traceLow == 0xa3ce_929d_0e0e_4736)
        #expect(value.parent == 0x00f0_67aa_0ba9_02b7 && value.flags == 1 && value.sampled)
        var out: [UInt8] = []
        TraceParent.append(traceHigh: value.traceHigh, traceLow: value.traceLow, span: value.parent, flags: value.flags, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == Self.example)
    }

    @Test func readsASliceOfAHeaderBlock() throws {
        let bytes = Array(("traceparent: " + Self.example + "\r\n").utf8)
        let value = try #require(TraceParent(parsing: bytes[13..<(13 + TraceParent.length)]))
        #expect(value.parent == 0x00f0_67aa_0ba9_02b7)
    }

    @Test func laterVersionsAreReadByTheirFirstFields() throws {
        let later = try #require(TraceParent(parsing: Array(("cc" + Self.example.dropFirst(2) + "-what-comes-next").utf8)))
        #expect(later.traceLow == 0xa3ce_929d_0e0e_4736)
        #expect(TraceParent(parsing: Array(("cc" + Self.example.dropFirst(2) + "x").utf8)) == nil)
    }

    @Test(arguments: [
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",          // short
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",   // version 00 has exactly 55 bytes
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",         // version ff is invalid
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",         // upper-case hex
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",         // all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",         // all-zero parent id
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",         // wrong separator
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",         // not hex
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
    ])
    func refusesWhatIsNotATraceparent(_ text: String) {
        #expect(TraceParent(parsing: Array(text.utf8)) == nil)
    }

    @Test func hexDigitsMatchTheStandardLibrarysForEdgesAndSeededValues() {
        var generator = SeededGenerator(seed: 0x5EED)
        let values: [UInt64] = [0, 1, 9, 10, 15, 16, 0x9999_9999_9999_9999, 0xAAAA_AAAA_AAAA_AAAA, .max, 0x0123_4567_89AB_CDEF]
            + (0..<1000).map { _ in generator.next() }
        var wrong = 0
        for value in values {
            for digits in [2, 16] {
                var out = [UInt8](repeating: 0, count: digits)
                out.withUnsafeMutableBufferPointer { TraceParent.writeHex(value, digits: digits, to: $0.baseAddress!) }
                let wanted = String(value & (digits == 16 ? .max : 0xFF), radix: 16)
                if String(decoding: out, as: UTF8.self) != String(repeating: "0", count: digits - wanted.count) + wanted { wrong += 1 }
            }
        }
        #expect(wrong == 0)
    }
}
