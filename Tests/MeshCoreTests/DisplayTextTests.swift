import MeshCore
import Testing

/// Input quoted in messages cannot split a line or drive the terminal.
@Suite struct DisplayTextTests {
    @Test func plainTextIsUnchanged() {
        for text in ["", "reviews", "a b", "naïve — ünïcödé ✓", "back\\slash", "tab-free"] {
            #expect(DisplayText.escaped(text) == text)
        }
    }

    @Test func controlCharactersAreEscaped() {
        #expect(DisplayText.escaped("a\nb") == "a\\nb")
        #expect(DisplayText.escaped("a\r\nb\tc") == "a\\r\\nb\\tc")
        #expect(DisplayText.escaped("\u{1B}[31mred\u{1B}[0m") == "\\u{1B}[31mred\\u{1B}[0m")
        #expect(DisplayText.escaped("\u{0}\u{7}\u{7F}") == "\\u{00}\\u{07}\\u{7F}")
        #expect(DisplayText.escaped("c1\u{85}\u{9B}") == "c1\\u{85}\\u{9B}")
        #expect(DisplayText.escaped("line\u{2028}sep\u{202E}rtl") == "line\\u{2028}sep\\u{202E}rtl")
    }

    @Test func everyEscapedResultIsOneLineWithoutControls() {
        let all = String(String.UnicodeScalarView((0..<0x300).compactMap(Unicode.Scalar.init)))
        let shown = DisplayText.escaped(all)
        let unsafe = shown.unicodeScalars.filter { DisplayText.needsEscape($0) }.count
        let newlines = shown.filter { $0.isNewline }.count
        #expect(unsafe == 0)
        #expect(newlines == 0)
    }

    @Test func invalidUTF8BytesAreShownAsHex() {
        #expect(DisplayText.escaped(bytes: Array("ok".utf8)) == "ok")
        #expect(DisplayText.escaped(bytes: [0x61, 0xFF, 0x62]) == "a\\xFFb")
        #expect(DisplayText.escaped(bytes: [0xC3, 0xA9, 0x0A]) == "é\\n")
        #expect(DisplayText.escaped(bytes: [0xE2, 0x82]) == "\\xE2\\x82")  // truncated sequence
        #expect(DisplayText.escaped(bytes: [0x1B, 0xC0, 0xAF]) == "\\u{1B}\\xC0\\xAF")  // overlong
    }
}
