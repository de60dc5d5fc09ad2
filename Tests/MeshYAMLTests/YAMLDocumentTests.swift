import MeshYAML
import Testing

/// Streams and documents, comments, directives and tags.
@Suite struct YAMLDocumentTests {
    typealias S = YAMLTestSupport

    @Test func emptyStreamsHaveNoDocuments() throws {
        #expect(try YAMLParser.parse("").isEmpty)
        #expect(try YAMLParser.parse("\n\n").isEmpty)
        #expect(try YAMLParser.parse("# only a comment\n").isEmpty)
        #expect(try YAMLParser.parse("...\n").isEmpty)
    }

    @Test func emptyDocumentsAreNull() throws {
        let one = try YAMLParser.parse("---\n")
        #expect(one.count == 1 && one[0].isNull)
        let two = try YAMLParser.parse("---\n...\n---\n# nothing\n")
        #expect(two.count == 2 && two.allSatisfy(\.isNull))
    }

    @Test func severalDocuments() throws {
        let documents = try YAMLParser.parse("""
            --- a
            ---
            b: 1
            ...
            c
            ...
            ---
            - d
            """)
        #expect(documents.map(S.render) == [#""a""#, #"{"b": "1"}"#, #""c""#, #"["d"]"#])
        #expect(documents.map { "\($0.mark)" } == ["1:5", "3:1", "5:1", "8:1"])
    }

    @Test func comments() throws {
        let doc = try S.document("""
            # head
            a: 1 # trailing
              # indented, between
            b: "x # not a comment" # real
            c: x#y
            d: [1, # inside flow
                2]
            # tail
            """)
        #expect(S.render(doc) == #"{"a": "1", "b": "x # not a comment", "c": "x#y", "d": ["1", "2"]}"#)
    }

    @Test func directives() throws {
        let doc = try S.document("%YAML 1.2\n---\na: 1\n")
        #expect(S.render(doc) == #"{"a": "1"}"#)
        let tagged = try S.document("%TAG !m! tag:meshbed.dev,2025:\n--- !m!service\nname: x\n")
        #expect(tagged.tag == "tag:meshbed.dev,2025:service")
        #expect(try YAMLParser.parse("%FUTURE reserved # ignored\n--- x\n").count == 1)
    }

    @Test func tags() throws {
        let doc = try S.document("""
            a: !!str 1
            b: !local x
            c: !<tag:yaml.org,2002:int> 5
            d: ! x
            e: !!seq [x]
            f: !e%21 y
            """)
        #expect(doc.pairs?.map { $0.value.tag ?? "nil" } == ["!!str", "!local", "!!int", "!", "!!seq", "!e!"])
        #expect(doc.value(for: "c")?.int == 5)
        #expect(doc.value(for: "a")?.int == nil)
    }
}
