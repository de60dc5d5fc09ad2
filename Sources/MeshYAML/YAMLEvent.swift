/// One step of a YAML stream's structure, as the parser reports it to the composer
/// (the same events as libyaml and the yaml-test-suite's `test.event` files).
struct YAMLEvent: Sendable {
    /// What happened, with its payload. Tags are resolved (`!!str` reads `tag:yaml.org,2002:str`).
    enum Kind: Sendable, Equatable {
        case streamStart
        case streamEnd
        case documentStart(explicit: Bool)
        case documentEnd(explicit: Bool)
        case alias(String)
        case scalar(String, YAMLScalarStyle, anchor: String?, tag: String?)
        case sequenceStart(anchor: String?, tag: String?, flow: Bool)
        case sequenceEnd
        case mappingStart(anchor: String?, tag: String?, flow: Bool)
        case mappingEnd
    }

    var kind: Kind
    /// Where the node (with its properties) or marker starts.
    var mark: YAMLMark
}
