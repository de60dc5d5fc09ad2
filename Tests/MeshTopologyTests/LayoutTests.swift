import MeshTestSupport
import MeshYAML
import Testing

/// The test builder lays nodes out where block YAML puts them.
@Suite struct LayoutTests {
    @Test func blockLayoutPositions() {
        let doc: YNode = ["kind": "Topology", "services": ["web": ["replicas": 2, "calls": ["a", "b"]], "x": [:]],
                          "faults": [["kind": "abort", "to": "web"], "z"]]
        #expect(doc.text == """
            kind: Topology
            services:
              web:
                replicas: 2
                calls:
                  - a
                  - b
              x: {}
            faults:
              - kind: abort
                to: web
              - z

            """)
        let root = doc.node
        #expect(root.mark == YAMLMark(line: 1, column: 1))
        let web = root.value(for: "services")?.value(for: "web")
        #expect(web?.mark == YAMLMark(line: 4, column: 5))
        #expect(web?.value(for: "replicas")?.mark == YAMLMark(line: 4, column: 15))
        #expect(web?.value(for: "calls")?.mark == YAMLMark(line: 6, column: 7))
        #expect(web?.value(for: "calls")?.items?[1].mark == YAMLMark(line: 7, column: 9))
        #expect(root.value(for: "services")?.value(for: "x")?.mark == YAMLMark(line: 8, column: 6))
        let faults = root.value(for: "faults")?.items
        #expect(faults?[0].mark == YAMLMark(line: 10, column: 5))
        #expect(faults?[0].pairs?[1].key.mark == YAMLMark(line: 11, column: 5))
        #expect(faults?[0].value(for: "to")?.mark == YAMLMark(line: 11, column: 9))
        #expect(faults?[1].mark == YAMLMark(line: 12, column: 5))
    }

    @Test func quotesWhatCannotBePlain() {
        let doc: YNode = ["command": ["{port}", "a: b"], "n": .quoted("5")]
        #expect(doc.text == "command:\n  - \"{port}\"\n  - \"a: b\"\nn: \"5\"\n")
        #expect(doc.node.value(for: "n")?.int == nil)
    }
}
