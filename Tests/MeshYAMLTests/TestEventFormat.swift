@testable import MeshYAML

/// Writes parser events the way the yaml-test-suite's `test.event` files do
/// (`+STR`, `+DOC ---`, `+MAP {} &a <tag>`, `=VAL :text`, `=ALI *a`, ...).
enum TestEventFormat {
    static func format(_ events: [YAMLEvent]) -> String {
        var lines: [String] = []
        for event in events {
            switch event.kind {
            case .streamStart: lines.append("+STR")
            case .streamEnd: lines.append("-STR")
            case .documentStart(let explicit): lines.append(explicit ? "+DOC ---" : "+DOC")
            case .documentEnd(let explicit): lines.append(explicit ? "-DOC ..." : "-DOC")
            case .alias(let name): lines.append("=ALI *\(name)")
            case .scalar(let text, let style, let anchor, let tag):
                lines.append("=VAL\(properties(anchor, tag)) \(indicator(style))\(escaped(text))")
            case .sequenceStart(let anchor, let tag, let flow):
                lines.append("+SEQ\(flow ? " []" : "")\(properties(anchor, tag))")
            case .sequenceEnd: lines.append("-SEQ")
            case .mappingStart(let anchor, let tag, let flow):
                lines.append("+MAP\(flow ? " {}" : "")\(properties(anchor, tag))")
            case .mappingEnd: lines.append("-MAP")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func properties(_ anchor: String?, _ tag: String?) -> String {
        (anchor.map { " &\($0)" } ?? "") + (tag.map { " <\($0)>" } ?? "")
    }

    private static func indicator(_ style: YAMLScalarStyle) -> String {
        switch style {
        case .plain: ":"
        case .singleQuoted: "'"
        case .doubleQuoted: "\""
        case .literal: "|"
        case .folded: ">"
        }
    }

    private static func escaped(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{8}": out += "\\b"
            case "\0": out += "\\0"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
