import MeshYAML
import Testing

/// Block and flow collections, and the line and column every node carries.
@Suite struct YAMLStructureTests {
    typealias S = YAMLTestSupport

    static func mark(_ node: YAMLNode?) -> String {
        node.map { "\($0.mark)" } ?? "missing"
    }

    @Test func blockMappingMarks() throws {
        let doc = try S.document("""
            name: web
            ports:
              - 80
              - 443
            env:
              MODE: prod
            """)
        let pairs = try #require(doc.pairs)
        #expect(pairs.map { "\($0.key.mark)" } == ["1:1", "2:1", "5:1"])
        #expect(Self.mark(doc) == "1:1")
        #expect(Self.mark(doc.value(for: "name")) == "1:7")
        let ports = try #require(doc.value(for: "ports"))
        #expect(Self.mark(ports) == "3:3")
        #expect(ports.items?.map { "\($0.mark)" } == ["3:5", "4:5"])
        let env = try #require(doc.value(for: "env"))
        #expect(Self.mark(env) == "6:3")
        #expect(env.pairs?.first.map { "\($0.key.mark) \($0.value.mark)" } == "6:3 6:9")
        #expect(S.render(doc) == #"{"name": "web", "ports": ["80", "443"], "env": {"MODE": "prod"}}"#)
    }

    @Test func flowMarks() throws {
        let doc = try S.document("svc: {a: 1, b: [x, y]}")
        let svc = try #require(doc.value(for: "svc"))
        #expect(Self.mark(svc) == "1:6")
        #expect(svc.pairs?.map { "\($0.key.mark)=\($0.value.mark)" } == ["1:7=1:10", "1:13=1:16"])
        #expect(svc.value(for: "b")?.items?.map { "\($0.mark)" } == ["1:17", "1:20"])
        #expect(S.render(doc) == #"{"svc": {"a": "1", "b": ["x", "y"]}}"#)
    }

    @Test func columnsCountUnicodeScalars() throws {
        let doc = try S.document("\"日本\": x\nk\u{301}: v\n")
        #expect(doc.pairs?.map { "\($0.value.mark)" } == ["1:7", "2:5"])
    }

    @Test func crlfLineBreaks() throws {
        let doc = try S.document("a: 1\r\nb: 2\r\n")
        #expect(doc.pairs?.map { "\($0.key.mark)" } == ["1:1", "2:1"])
        #expect(S.render(doc) == #"{"a": "1", "b": "2"}"#)
    }

    @Test func sequenceAtTheKeysIndentation() throws {
        let doc = try S.document("""
            items:
            - a
            - b
            next: 1
            """)
        #expect(S.render(doc) == #"{"items": ["a", "b"], "next": "1"}"#)
        #expect(Self.mark(doc.value(for: "items")) == "2:1")
    }

    @Test func compactNestedSequences() throws {
        let doc = try S.document("""
            - - a
              - b
            - - c
            """)
        #expect(S.render(doc) == #"[["a", "b"], ["c"]]"#)
        #expect(Self.mark(doc.items?.first) == "1:3")
        #expect(Self.mark(doc.items?.first?.items?.first) == "1:5")
    }

    @Test func mappingsInSequences() throws {
        let doc = try S.document("""
            - name: a
              port: 1
            - name: b
            """)
        #expect(S.render(doc) == #"[{"name": "a", "port": "1"}, {"name": "b"}]"#)
        #expect(doc.items?.map { "\($0.mark)" } == ["1:3", "3:3"])
    }

    @Test func flowCollectionsSpanningLinesWithTrailingCommas() throws {
        let doc = try S.document("""
            list: [
                a,
                b,
              ]
            map: {
              x: 1,
              y: [1, 2,],
              }
            """)
        #expect(S.render(doc) == #"{"list": ["a", "b"], "map": {"x": "1", "y": ["1", "2"]}}"#)
    }

    @Test func flowPairsAndJSONStyle() throws {
        #expect(S.rendered("[a: 1, b]") == #"[{"a": "1"}, "b"]"#)
        #expect(S.rendered(#"{"a":1, "b":[true]}"#) == #"{"a": "1", "b": ["true"]}"#)
        #expect(S.rendered("[a:b, c]") == #"["a:b", "c"]"#)
        #expect(S.rendered("{a, b: }") == #"{"a": "", "b": ""}"#)
    }

    @Test func explicitKeys() throws {
        let doc = try S.document("""
            ? a
            : 1
            ? [x, y]
            : 2
            """)
        #expect(S.render(doc) == #"{"a": "1", ["x", "y"]: "2"}"#)
        #expect(doc.pairs?.map { "\($0.key.mark)" } == ["1:3", "3:3"])
    }

    @Test func emptyValuesAreNullAtTheirIndicator() throws {
        let doc = try S.document("""
            a:
            b: ~
            c: null
            d:
              -
            """)
        let pairs = try #require(doc.pairs)
        #expect(pairs.allSatisfy { $0.value.isNull || $0.value.items != nil })
        #expect(Self.mark(doc.value(for: "a")) == "1:2")
        #expect(doc.value(for: "d")?.items?.first?.isNull == true)
        #expect(Self.mark(doc.value(for: "d")?.items?.first) == "5:3")
    }

    @Test func nodePropertiesStartTheNode() throws {
        let doc = try S.document("""
            a: &x !!str 1
            b: !!map
              c: d
            """)
        #expect(Self.mark(doc.value(for: "a")) == "1:4")
        #expect(doc.value(for: "a")?.tag == "!!str")
        #expect(Self.mark(doc.value(for: "b")) == "2:4")
        #expect(doc.value(for: "b")?.tag == "!!map")
        #expect(doc.value(for: "b")?.value(for: "c")?.scalarText == "d")
    }

    @Test func complexKeysAreNodes() throws {
        let doc = try S.document("{a: b}: c\n")
        #expect(S.render(doc) == #"{{"a": "b"}: "c"}"#)
    }
}
