import MeshYAML

/// Reads a mapping with a fixed set of keys: reports unknown keys (with "did you mean")
/// and gives the value of each known key (shared with the scenario reader).
public struct MappingReader {
    /// The mapping node (an empty value reads as an empty mapping).
    public let node: YAMLNode
    /// Where the mapping sits, for messages: `in service 'ratings'`, `at top level`.
    public let context: String
    private var pairs: [String: YAMLPair] = [:]

    /// Checks that `node` is a mapping whose keys are all in `allowed`. A key that is not
    /// allowed gets the message `misplaced` returns for it, or else `unknown key 'K' CONTEXT`
    /// with the closest allowed key. Returns `nil` (after logging) when `node` is not a mapping.
    public init?(
        _ node: YAMLNode, key: String, context: String, allowed: [String], log: inout DiagnosticLog,
        misplaced: (String) -> String? = { _ in nil }
    ) {
        self.node = node
        self.context = context
        guard let entries = ValueReader.entries(node, key: key, log: &log) else { return nil }
        for (name, pair) in entries {
            if allowed.contains(name) {
                pairs[name] = pair
            } else if let message = misplaced(name) {
                log.error(message, at: pair.key.mark)
            } else {
                log.error("unknown key '\(name)' \(context)\(Suggestion.hint(for: name, among: allowed))", at: pair.key.mark)
            }
        }
    }

    /// The value of `key`, if present.
    public subscript(key: String) -> YAMLNode? { pairs[key]?.value }

    /// The key node of `key`, if present (for messages about the entry as a whole).
    public func keyNode(_ key: String) -> YAMLNode? { pairs[key]?.key }

    /// The value of `key`, or `nil` after logging `missing key 'KEY' CONTEXT` at the mapping.
    public func required(_ key: String, log: inout DiagnosticLog) -> YAMLNode? {
        if let value = pairs[key]?.value { return value }
        log.error("missing key '\(key)' \(context)", at: node.mark)
        return nil
    }
}
