/// One token of a YAML text, as the scanner hands it to the parser.
struct YAMLToken: Sendable {
    /// What the token is, with its payload.
    enum Kind: Sendable, Equatable {
        case streamStart
        case streamEnd
        /// `%YAML major.minor`.
        case versionDirective(major: Int, minor: Int)
        /// `%TAG handle prefix`.
        case tagDirective(handle: String, prefix: String)
        /// Any other directive, which is ignored.
        case reservedDirective(name: String)
        /// `---`.
        case documentStart
        /// `...`.
        case documentEnd
        case blockSequenceStart
        case blockMappingStart
        case blockEnd
        case flowSequenceStart
        case flowSequenceEnd
        case flowMappingStart
        case flowMappingEnd
        /// `-` in a block sequence.
        case blockEntry
        /// `,` in a flow collection.
        case flowEntry
        /// An explicit `?` or the start of an implicit key.
        case key
        /// `:`.
        case value
        case alias(String)
        case anchor(String)
        /// A tag as written: `handle` is `!`, `!!`, `!name!`, or empty for a verbatim `!<uri>`.
        case tag(handle: String, suffix: String)
        case scalar(String, YAMLScalarStyle)
    }

    var kind: Kind
    /// Where the token starts.
    var mark: YAMLMark

    /// How the token reads in an error message.
    var description: String {
        switch kind {
        case .streamStart: "the start of the stream"
        case .streamEnd: "the end of the stream"
        case .versionDirective: "a %YAML directive"
        case .tagDirective: "a %TAG directive"
        case .reservedDirective(let name): "a %\(name) directive"
        case .documentStart: "'---'"
        case .documentEnd: "'...'"
        case .blockSequenceStart: "a block sequence"
        case .blockMappingStart: "a block mapping"
        case .blockEnd: "the end of a block collection"
        case .flowSequenceStart: "'['"
        case .flowSequenceEnd: "']'"
        case .flowMappingStart: "'{'"
        case .flowMappingEnd: "'}'"
        case .blockEntry: "'-'"
        case .flowEntry: "','"
        case .key: "a mapping key"
        case .value: "':'"
        case .alias(let name): "alias '*\(name)'"
        case .anchor(let name): "anchor '&\(name)'"
        case .tag(let handle, let suffix): handle.isEmpty ? "tag '!<\(suffix)>'" : "tag '\(handle)\(suffix)'"
        case .scalar: "a scalar"
        }
    }
}
