import MeshTopology
import Testing

/// Input quoted in a diagnostic (a key, a name, a YAML error's text, the file's name) is shown
/// with its control characters escaped: a diagnostic stays one line of plain text.
@Suite struct EscapingTests {
    static func load(_ text: String, file: String = "t.yaml") -> TopologyErrors? {
        guard case .failure(let errors) = Topology.load(text: text, file: file) else { return nil }
        return errors
    }

    static let header = "kind: Topology\nname: shop\nmesh: {mtls: disabled}\n"

    @Test func unknownKeyWithEscapeSequence() throws {
        let errors = try #require(Self.load(Self.header + "services:\n  web: {\"\\e[31mreplicas\": 2}\n"))
        #expect(errors.diagnostics.map(\.locatedMessage) == ["5:9: unknown key '\\u{1B}[31mreplicas' in service 'web'"])
        #expect(!errors.description.contains { $0.isNewline })
    }

    @Test func unknownServiceWithLineBreaks() throws {
        let errors = try #require(Self.load(Self.header + "services:\n  web: {calls: [\"api\\nfake.yaml:1:1: forged\", \"x\\u0085y\"]}\n"))
        #expect(errors.diagnostics.map(\.message) == [
            "calls: unknown service 'api\\nfake.yaml:1:1: forged'",
            "calls: unknown service 'x\\u{85}y'",
        ])
        #expect(errors.description.split(separator: "\n").count == 2)
    }

    @Test func yamlErrorQuotingInput() throws {
        let errors = try #require(Self.load(Self.header + "services: {\"a\\tb\\u001B\": 1, \"a\\tb\\u001B\": 2}\n"))
        #expect(errors.diagnostics.count == 1)
        #expect(errors.diagnostics.first?.message.hasPrefix("duplicate key 'a\\tb\\u{1B}'") == true)
    }

    @Test func fileNameIsEscapedToo() throws {
        let errors = try #require(Self.load("kind: Topology\n", file: "evil\n\u{1B}[2J.yaml"))
        let lines = errors.description.split(separator: "\n")
        #expect(lines.count == errors.diagnostics.count)
        #expect(lines.allSatisfy { $0.hasPrefix("evil\\n\\u{1B}[2J.yaml:1:1: ") })
    }
}
