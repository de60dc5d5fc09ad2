import MeshCore
import MeshYAML

/// Typed reads of YAML values that log `KEY: expected WHAT, got 'TEXT'` at the value on
/// failure and return `nil` (every model reader, topology and scenario, builds on these).
public enum ValueReader {
    /// The longest name a topology, service or version may have (a DNS label).
    public static let maximumNameLength = 63

    /// How a node is shown after "got": `'two'`, `'5' (a quoted string)`, `a mapping`, `a list`, `nothing`.
    public static func describe(_ node: YAMLNode) -> String {
        switch node.kind {
        case .scalar(let text, let style):
            if style == .plain, text.isEmpty { return "nothing" }
            var shown = text
            if let newline = shown.firstIndex(where: \.isNewline) {
                shown = String(shown[..<newline]) + "…"
            }
            if shown.count > 40 { shown = String(shown.prefix(40)) + "…" }
            return style == .plain ? "'\(shown)'" : "'\(shown)' (a quoted string)"
        case .sequence:
            return "a list"
        case .mapping:
            return "a mapping"
        }
    }

    /// Logs `KEY: expected EXPECTED, got DESCRIPTION` at the node.
    public static func fail(_ key: String, expected: String, node: YAMLNode, hint: String = "", log: inout DiagnosticLog) {
        log.error("\(key): expected \(expected), got \(describe(node))\(hint)", at: node.mark)
    }

    /// A non-null scalar's text (numbers and booleans read as their text).
    public static func string(_ node: YAMLNode, key: String, expected: String = "a string", log: inout DiagnosticLog) -> String? {
        guard let text = node.scalarText, !node.isNull else {
            fail(key, expected: expected, node: node, log: &log)
            return nil
        }
        return text
    }

    /// A core-schema integer in `range`.
    public static func integer(_ node: YAMLNode, key: String, in range: ClosedRange<Int>, expected: String, log: inout DiagnosticLog) -> Int? {
        guard let value = node.int, range.contains(value) else {
            fail(key, expected: expected, node: node, log: &log)
            return nil
        }
        return value
    }

    /// A core-schema boolean (`true` or `false`).
    public static func bool(_ node: YAMLNode, key: String, log: inout DiagnosticLog) -> Bool? {
        guard let value = node.bool else {
            fail(key, expected: "true or false", node: node, log: &log)
            return nil
        }
        return value
    }

    /// A number from 0 to 100 (integer or decimal).
    public static func percent(_ node: YAMLNode, key: String, log: inout DiagnosticLog) -> Double? {
        guard let value = node.double, value >= 0, value <= 100 else {
            fail(key, expected: "a percentage 0–100", node: node, log: &log)
            return nil
        }
        return value
    }

    /// A meshbed duration (`250ms`, `2s`, `1m`, `24h`) of at least `minimum`
    /// (`.nanoseconds(1)` means "greater than 0s").
    public static func duration(_ node: YAMLNode, key: String, minimum: Duration = .zero, log: inout DiagnosticLog) -> Duration? {
        guard let text = node.scalarText, !node.isNull, let value = Duration(meshbed: text)
        else {
            fail(key, expected: "a duration like 250ms, 2s or 1m", node: node, log: &log)
            return nil
        }
        guard value >= minimum else {
            let bound = minimum == .nanoseconds(1) ? "greater than 0s" : "of at least \(minimum.meshbedDescription)"
            fail(key, expected: "a duration \(bound)", node: node, log: &log)
            return nil
        }
        return value
    }

    /// One of an enumeration's raw values, with a "did you mean" hint.
    public static func choice<Choice: CaseIterable & RawRepresentable>(
        _ node: YAMLNode, key: String, as type: Choice.Type = Choice.self, log: inout DiagnosticLog
    ) -> Choice? where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        if let text = node.scalarText, !node.isNull, let value = Choice(rawValue: text) {
            return value
        }
        let hint = node.scalarText.map { Suggestion.hint(for: $0, among: names) } ?? ""
        fail(key, expected: "one of " + names.joined(separator: ", "), node: node, hint: hint, log: &log)
        return nil
    }

    /// Whether `text` is a valid topology, service or version name: `[a-z0-9-]+`, at most 63 characters.
    public static func isValidName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= maximumNameLength
            && text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// A topology, service or version name (`[a-z0-9-]+`, at most 63 characters).
    public static func name(_ node: YAMLNode, key: String, log: inout DiagnosticLog) -> String? {
        let expected = "a name of lowercase letters, digits and '-' (at most \(maximumNameLength) characters)"
        guard let text = node.scalarText, !node.isNull, isValidName(text) else {
            fail(key, expected: expected, node: node, log: &log)
            return nil
        }
        return text
    }

    /// A list's items; an empty value (`key:`) is an empty list.
    public static func list(_ node: YAMLNode, key: String, expected: String = "a list", log: inout DiagnosticLog) -> [YAMLNode]? {
        if let items = node.items { return items }
        if node.isNull { return [] }
        fail(key, expected: expected, node: node, log: &log)
        return nil
    }

    /// A mapping's entries whose keys are scalars; an empty value (`key:`) is an empty mapping.
    public static func entries(_ node: YAMLNode, key: String, expected: String = "a mapping", log: inout DiagnosticLog) -> [(key: String, pair: YAMLPair)]? {
        guard let pairs = node.pairs else {
            if node.isNull { return [] }
            fail(key, expected: expected, node: node, log: &log)
            return nil
        }
        var result: [(key: String, pair: YAMLPair)] = []
        var seen: Set<String> = []
        for pair in pairs {
            guard let text = pair.key.scalarText else {
                fail(key, expected: "a plain key", node: pair.key, log: &log)
                continue
            }
            guard seen.insert(text).inserted else {
                log.error("\(key): duplicate key '\(text)'", at: pair.key.mark)
                continue
            }
            result.append((text, pair))
        }
        return result
    }

    /// A mapping of strings to scalar values read as text, such as headers or environment
    /// variables; `invalidKey` returns the whole message for a key it rejects (logged at the key).
    public static func stringMap(
        _ node: YAMLNode, key: String, log: inout DiagnosticLog, invalidKey: (String) -> String? = { _ in nil }
    ) -> OrderedMap<String>? {
        guard let entries = entries(node, key: key, log: &log) else { return nil }
        var map = OrderedMap<String>()
        var valid = true
        for (name, pair) in entries {
            if let message = invalidKey(name) {
                log.error(message, at: pair.key.mark)
                valid = false
            }
            guard let value = string(pair.value, key: name, expected: "a string value", log: &log) else {
                valid = false
                continue
            }
            map.insert(value, for: name)
        }
        return valid ? map : nil
    }

    /// A list of names (`calls`, `allow`), each reported once at its second listing when repeated.
    public static func nameList(_ node: YAMLNode, key: String, what: String, log: inout DiagnosticLog) -> [(name: String, node: YAMLNode)]? {
        guard let items = list(node, key: key, expected: "a list of \(what) names", log: &log) else { return nil }
        var result: [(name: String, node: YAMLNode)] = []
        var seen: Set<String> = []
        for item in items {
            guard let text = item.scalarText, !item.isNull else {
                fail(key, expected: "a \(what) name", node: item, log: &log)
                continue
            }
            guard seen.insert(text).inserted else {
                log.error("\(key): '\(text)' is listed twice", at: item.mark)
                continue
            }
            result.append((text, item))
        }
        return result
    }
}
