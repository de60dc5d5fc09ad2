import MeshYAML
import Testing

/// Scalar styles: plain and quoted folding, double-quoted escapes, block scalars with
/// chomping and indentation indicators, and core-schema resolution.
@Suite struct YAMLScalarTests {
    typealias S = YAMLTestSupport

    static func text(_ yaml: String, _ key: String = "k") throws -> String? {
        try S.document(yaml).value(for: key)?.scalarText
    }

    static func style(_ yaml: String, _ key: String = "k") throws -> YAMLScalarStyle? {
        guard case .scalar(_, let style) = try S.document(yaml).value(for: key)?.kind else { return nil }
        return style
    }

    @Test func multiLinePlainScalarsFold() throws {
        #expect(try Self.text("k: one\n  two\n\n  three\nb: x\n") == "one two\nthree")
        #expect(try Self.text("k: http://host:80/a#b c\n") == "http://host:80/a#b c")
        #expect(try Self.text("k: value # comment\n") == "value")
        #expect(try Self.text("k: -1:2 ?x\n") == "-1:2 ?x")
        #expect(try Self.style("k: x\n") == .plain)
    }

    @Test func singleQuoted() throws {
        #expect(try Self.text("k: 'it''s'") == "it's")
        #expect(try Self.text("k: 'a\n  b\n\n  c  '") == "a b\nc  ")
        #expect(try Self.text("k: '\\n # x'") == "\\n # x")
        #expect(try Self.style("k: 'x'") == .singleQuoted)
    }

    @Test func doubleQuotedEscapes() throws {
        let yaml = #"k: "\0\a\b\t\"# + "\t" + #"\n\v\f\r\e\ \"\/\\\N\_\L\P\x41\u00e9\U0001F600""#
        let expected = "\u{0}\u{7}\u{8}\t\t\n\u{B}\u{C}\r\u{1B} \"/\\\u{85}\u{A0}\u{2028}\u{2029}A\u{E9}\u{1F600}"
        #expect(try Self.text(yaml) == expected)
        #expect(try Self.style(yaml) == .doubleQuoted)
    }

    @Test func doubleQuotedLineBreaks() throws {
        #expect(try Self.text("k: \"a\n  b\"") == "a b")
        #expect(try Self.text("k: \"a  \n\n  b\"") == "a\nb")
        #expect(try Self.text("k: \"a\\\n    b\"") == "ab")
        #expect(try Self.text("k: \"a\\\n   \\ b\"") == "a b")
    }

    @Test func blockScalarChomping() throws {
        let doc = try S.document("""
            clip: |
              text
            keep: |+
              text

            strip: |-
              text

            folded: >
              a
              b

              c
            more: >
              a
                b
              c
            indicator: |2
                x
              y
            leading: |

              x
            """)
        #expect(doc.value(for: "clip")?.scalarText == "text\n")
        #expect(doc.value(for: "keep")?.scalarText == "text\n\n")
        #expect(doc.value(for: "strip")?.scalarText == "text")
        #expect(doc.value(for: "folded")?.scalarText == "a b\nc\n")
        #expect(doc.value(for: "more")?.scalarText == "a\n  b\nc\n")
        #expect(doc.value(for: "indicator")?.scalarText == "  x\ny\n")
        #expect(doc.value(for: "leading")?.scalarText == "\nx\n")
        guard case .scalar(_, let literal) = doc.value(for: "clip")?.kind,
              case .scalar(_, let folded) = doc.value(for: "folded")?.kind else {
            Issue.record("expected scalars")
            return
        }
        #expect(literal == .literal)
        #expect(folded == .folded)
        #expect(Self.mark(doc.value(for: "clip")) == "1:7")
    }

    static func mark(_ node: YAMLNode?) -> String { node.map { "\($0.mark)" } ?? "missing" }

    @Test func blockScalarEdges() throws {
        // The last line ends at the end of the text as if by a line break.
        #expect(try Self.text("k: |\n  x") == "x\n")
        #expect(try Self.text("k: |-\n  x\n\n") == "x")
        #expect(try Self.text("k: >+\n  x\n\n") == "x\n\n")
        #expect(try Self.text("k: |\n  # not a comment\n # a comment\n") == "# not a comment\n")
        #expect(try Self.text("k: |\nnext: 1\n") == "")
        #expect(try S.document("--- |\nfoo\n...\n").scalarText == "foo\n")
    }

    @Test func coreSchema() throws {
        let doc = try S.document("""
            [1, -2, 0x1F, 0o17, 1.5, .inf, -.Inf, true, False, ~, null, "1", '2', !!str 3, 1e3, abc, "", 0x-5]
            """)
        let items = try #require(doc.items)
        #expect(items.map(\.int) == [1, -2, 31, 15, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil])
        #expect(items[4].double == 1.5)
        #expect(items[5].double == .infinity)
        #expect(items[6].double == -.infinity)
        #expect(items[7].bool == true)
        #expect(items[8].bool == false)
        #expect(items[9].isNull && items[10].isNull)
        #expect(!items[11].isNull && items[11].int == nil)
        #expect(items[12].int == nil)
        #expect(items[13].int == nil && items[13].tag == "!!str")
        #expect(items[14].double == 1000)
        #expect(items[15].double == nil && items[15].bool == nil && !items[15].isNull)
        #expect(!items[16].isNull)
        #expect(items[17].int == nil)
    }
}
