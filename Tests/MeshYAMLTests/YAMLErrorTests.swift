import MeshYAML
import Testing

/// Malformed input: every error names the offending place, line and column.
@Suite struct YAMLErrorTests {
    typealias S = YAMLTestSupport

    @Test(arguments: [
        ("key: [a, b", "1:6", "unexpected end of flow sequence"),
        ("key: {a: 1", "1:6", "unexpected end of flow mapping"),
        ("a: b: c", "1:5", "mapping values are not allowed here"),
        ("a:\n  b: 1\n c: 2", "3:2", "bad indentation of a mapping entry"),
        ("a:\n  - x\n - y", "3:2", "bad indentation of a mapping entry"),
        ("- a\n- b\nc: d", "3:1", "did not find expected '-' indicator"),
        ("a: 1\nb: 2\na: 3", "3:1", "duplicate key 'a' (first at 1:1)"),
        ("{x: 1, x: 2}", "1:8", "duplicate key 'x'"),
        ("- {name: a}\n- name: b\n  port: 1\n  name: c", "4:3", "duplicate key 'name' (first at 2:3)"),
        ("a:\n\tb: 1", "2:1", "tabs are not allowed as indentation"),
        ("a:\n  b: |\n    x\n\ty", "4:1", "tabs are not allowed as indentation"),
        ("-\t- x", "1:3", "tabs are not allowed as indentation"),
        ("a: 1\nb\nc: 2", "2:1", "could not find expected ':'"),
        ("- a\n  b: c", "1:3", "an implicit key must be on a single line"),
        ("key: \"abc", "1:6", "missing closing \""),
        ("key: 'abc\n", "1:6", "missing closing '"),
        ("a: *nope", "1:4", "found undefined alias '*nope'"),
        ("k: \"\\q\"", "1:5", "found unknown escape character '\\q'"),
        ("k: \"\\x4\"", "1:5", "expected 2 hexadecimal digits"),
        ("[a, b]]", "1:7", "found ']' after the document's root node"),
        ("a: [b, c\nd: e", "2:1", "not indented enough to continue the flow collection started at 1:4 (missing ']'?)"),
        ("[a, , b]", "1:5", "found an empty entry ','"),
        ("[a b: c, [d]\n", "1:1", "unexpected end of flow sequence"),
        ("a: 1\u{1}", "1:5", "invalid character U+0001"),
        ("k: !x!y z", "1:4", "found undefined tag handle '!x!'"),
        ("k: &a &b x", "1:7", "a node may have only one anchor"),
        ("--- x\n... y", "2:5", "found content after a document end marker"),
        ("a: 1\n%YAML 1.2\n---\nb", "2:1", "directives after a document need a document end marker"),
        ("%YAML 2.0\n---\nx", "1:1", "incompatible YAML version"),
        ("k: |0\n  x", "1:5", "indentation indicator must be 1 to 9"),
        ("k: \"a\nb\"", "2:1", "continuation lines must be indented"),
        ("\"a\"#c", "1:4", "a comment must be separated from other tokens by whitespace"),
        ("a: - b", "1:4", "block sequence entries are not allowed here"),
        ("key:\n  value\n bad: 1", "2:3", "an implicit key must be on a single line"),
        ("a: @x", "1:4", "reserved indicator '@'"),
    ])
    func malformed(yaml: String, at mark: String, message: String) {
        let error = S.error(yaml)
        #expect(error.map { "\($0.mark)" } == mark, "\(yaml.debugDescription): \(error.map { "\($0)" } ?? "no error")")
        #expect(error?.message.contains(message) == true, "\(yaml.debugDescription): \(error.map { "\($0)" } ?? "no error")")
    }

    @Test func errorDescriptionIsLineColumnMessage() {
        #expect(S.error("a: b: c").map { "\($0)" } == "1:5: mapping values are not allowed here")
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(S.error(deep)?.message.contains("nested too deeply") == true)
        let deepBlock = (0..<300).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n")
        #expect(S.error(deepBlock)?.message.contains("nested too deeply") == true)
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(S.error(fine) == nil)
    }
}
