/// Reads YAML text (YAML 1.2, core schema) into documents of `YAMLNode`s.
///
/// The pipeline is `YAMLScanner` (text to tokens), `YAMLEventParser` (tokens to events)
/// and `YAMLComposer` (events to nodes). It never traps on bad input: errors carry the
/// line and column of the offending place, nesting and alias expansion are bounded.
///
/// Supported: block and flow collections, every scalar style, comments, `---`/`...`,
/// `%YAML`/`%TAG` directives (other directives are ignored), explicit `?` keys (any node
/// may be a key), anchors and aliases (an alias is a copy of its node), merge keys `<<`
/// (a mapping or a sequence of mappings; the mapping's own keys win, then earlier
/// sources), and tags (`!!x` for `tag:yaml.org,2002:x`, others as written or resolved).
/// Rejected: duplicate scalar keys, tabs as indentation, recursive aliases.
public enum YAMLParser {
    /// Every document of `text`, in order (an empty stream has none).
    public static func parse(_ text: String) throws(YAMLError) -> [YAMLNode] {
        var parser = try YAMLEventParser(text)
        let events = try parser.parse()
        var composer = YAMLComposer(events: events)
        return try composer.composeStream()
    }
}
