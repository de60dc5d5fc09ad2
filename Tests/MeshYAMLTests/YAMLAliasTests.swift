import MeshYAML
import Testing

/// Anchors and aliases (an alias is a copy of its anchored node, marks included), merge
/// keys, and the limits that stop alias bombs.
@Suite struct YAMLAliasTests {
    typealias S = YAMLTestSupport

    @Test func aliasIsACopyOfTheAnchoredNode() throws {
        let doc = try S.document("""
            base: &b {x: 1}
            use: *b
            n: &n 5
            m: *n
            """)
        #expect(S.render(doc) == #"{"base": {"x": "1"}, "use": {"x": "1"}, "n": "5", "m": "5"}"#)
        #expect(doc.value(for: "use")?.mark == YAMLMark(line: 1, column: 7))
        #expect(doc.value(for: "use")?.value(for: "x")?.mark == YAMLMark(line: 1, column: 14))
        #expect(doc.value(for: "m")?.int == 5)
    }

    @Test func anchorsMayBeRedefined() throws {
        #expect(S.rendered("- &a 1\n- *a\n- &a 2\n- *a\n") == #"["1", "1", "2", "2"]"#)
    }

    @Test func anchorsBelongToTheirDocument() {
        #expect(S.error("--- &a x\n--- *a\n")?.message == "found undefined alias '*a'")
    }

    @Test func recursiveAliasIsRejected() {
        let error = S.error("a: &a [1, *a]")
        #expect(error?.message == "found undefined alias '*a'")
        #expect(error?.mark == YAMLMark(line: 1, column: 11))
    }

    @Test func mergeKeys() throws {
        let doc = try S.document("""
            defaults: &d
              timeout: 1s
              retries: 3
            svc:
              <<: *d
              retries: 5
              name: web
            """)
        let svc = try #require(doc.value(for: "svc"))
        #expect(S.render(svc) == #"{"timeout": "1s", "retries": "5", "name": "web"}"#)
        #expect(svc.value(for: "timeout")?.mark == YAMLMark(line: 2, column: 12))
        #expect(svc.value(for: "retries")?.mark == YAMLMark(line: 6, column: 12))
    }

    @Test func mergeKeyWithASequenceEarlierWins() throws {
        let doc = try S.document("""
            a: &a {x: 1, y: 1}
            b: &b {y: 2, z: 2}
            c:
              w: 0
              <<: [*a, *b]
            """)
        #expect(S.render(try #require(doc.value(for: "c"))) == #"{"w": "0", "x": "1", "y": "1", "z": "2"}"#)
    }

    @Test func mergeKeyErrors() {
        let scalar = S.error("a: &a 1\nb:\n  <<: *a\n")
        #expect(scalar?.message.contains("merge key '<<' takes a mapping") == true)
        #expect(scalar?.mark == YAMLMark(line: 1, column: 4))
        let item = S.error("b:\n  <<: [{x: 1}, 2]\n")
        #expect(item?.mark == YAMLMark(line: 2, column: 16))
    }

    @Test func quotedMergeKeyIsAnOrdinaryKey() throws {
        #expect(S.rendered("\"<<\": {x: 1}") == #"{"<<": {"x": "1"}}"#)
    }

    @Test func aliasBombIsRejected() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<10 {
            yaml += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let error = S.error(yaml)
        #expect(error?.message.contains("aliases expand to more than 100000 nodes") == true)
        #expect(error?.mark.line == 5)
    }

    @Test func aliasChainsCannotNestTooDeeply() {
        var yaml = "a0: &a0 [x]\n"
        for i in 1..<300 { yaml += "a\(i): &a\(i) [*a\(i - 1)]\n" }
        #expect(S.error(yaml)?.message.contains("nests collections too deeply") == true)
    }
}
