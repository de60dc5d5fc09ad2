/// Builds `YAMLNode` trees from the parser's events: an alias becomes a copy of its
/// anchored node (the copy keeps the anchored node's marks), merge keys (`<<`) are applied,
/// duplicate keys are rejected, and core-schema tags are shortened to `!!name`.
///
/// Copies share storage, but whoever walks the tree pays for every copy, so the nodes that
/// aliases add are counted and capped (`maxAliasNodes`): an "alias bomb" is an error.
struct YAMLComposer {
    /// How many nodes aliases may add to a stream, all copies counted.
    static let maxAliasNodes = 100_000
    /// How deeply collections may nest once aliases are expanded.
    static let maxDepth = YAMLEventParser.maxDepth

    /// A node with its size (nodes, copies counted) and height (nesting levels).
    private struct Composed {
        var node: YAMLNode
        var size: Int
        var height: Int
    }

    private let events: [YAMLEvent]
    private var position = 0
    private var anchors: [String: Composed] = [:]
    private var aliasNodes = 0

    init(events: [YAMLEvent]) {
        self.events = events
    }

    /// The root node of every document.
    mutating func composeStream() throws(YAMLError) -> [YAMLNode] {
        var documents: [YAMLNode] = []
        while position < events.count {
            let event = events[position]
            position += 1
            guard case .documentStart = event.kind else { continue }
            anchors = [:]
            let root = try compose(depth: 1)
            documents.append(root.node)
        }
        return documents
    }

    /// `tag:yaml.org,2002:x` as `!!x`; other tags unchanged.
    static func shortTag(_ tag: String?) -> String? {
        guard let tag else { return nil }
        if tag.hasPrefix(YAMLEventParser.coreTagPrefix) {
            return "!!" + tag.dropFirst(YAMLEventParser.coreTagPrefix.count)
        }
        return tag
    }

    private mutating func nextEvent() throws(YAMLError) -> YAMLEvent {
        guard position < events.count else {
            throw YAMLError("internal error: the event stream ended early", at: events.last?.mark ?? YAMLMark(line: 1, column: 1))
        }
        position += 1
        return events[position - 1]
    }

    private var atCollectionEnd: Bool {
        guard position < events.count else { return true }
        switch events[position].kind {
        case .sequenceEnd, .mappingEnd: return true
        default: return false
        }
    }

    private mutating func compose(depth: Int) throws(YAMLError) -> Composed {
        let event = try nextEvent()
        let composed: Composed
        let anchor: String?
        switch event.kind {
        case .alias(let name):
            guard let anchored = anchors[name] else {
                throw YAMLError("found undefined alias '*\(name)'", at: event.mark)
            }
            aliasNodes += anchored.size
            guard aliasNodes <= Self.maxAliasNodes else {
                throw YAMLError("aliases expand to more than \(Self.maxAliasNodes) nodes (an alias bomb?)", at: event.mark)
            }
            guard depth + anchored.height - 1 <= Self.maxDepth else {
                throw YAMLError("alias '*\(name)' nests collections too deeply (more than \(Self.maxDepth) levels)",
                                at: event.mark)
            }
            return anchored
        case .scalar(let text, let style, let a, let tag):
            anchor = a
            composed = Composed(node: YAMLNode(.scalar(text, style), mark: event.mark, tag: Self.shortTag(tag)),
                                size: 1, height: 1)
        case .sequenceStart(let a, let tag, _):
            anchor = a
            var items: [YAMLNode] = []
            var size = 1
            var height = 1
            while !atCollectionEnd {
                let item = try compose(depth: depth + 1)
                items.append(item.node)
                size += item.size
                height = max(height, item.height + 1)
            }
            _ = try nextEvent()
            composed = Composed(node: YAMLNode(.sequence(items), mark: event.mark, tag: Self.shortTag(tag)),
                                size: size, height: height)
        case .mappingStart(let a, let tag, _):
            anchor = a
            composed = try composeMapping(at: event.mark, tag: Self.shortTag(tag), depth: depth)
        default:
            throw YAMLError("internal error: unexpected event", at: event.mark)
        }
        if let anchor { anchors[anchor] = composed }
        return composed
    }

    private static func isMergeKey(_ key: YAMLNode) -> Bool {
        guard case .scalar("<<", .plain) = key.kind else { return false }
        return key.tag == nil || key.tag == "!!merge"
    }

    private mutating func composeMapping(at mark: YAMLMark, tag: String?, depth: Int) throws(YAMLError) -> Composed {
        var pairs: [YAMLPair] = []
        var size = 1
        var height = 1
        var firstMarks: [String: YAMLMark] = [:]
        var merges: [(index: Int, sources: [YAMLNode])] = []
        while !atCollectionEnd {
            let key = try compose(depth: depth + 1)
            let value = try compose(depth: depth + 1)
            size += key.size + value.size
            height = max(height, key.height + 1, value.height + 1)
            if Self.isMergeKey(key.node) {
                merges.append((pairs.count, try Self.mergeSources(value.node)))
                continue
            }
            if let text = key.node.scalarText {
                if let first = firstMarks[text] {
                    throw YAMLError("duplicate key '\(Self.abbreviated(text))' (first at \(first))", at: key.node.mark)
                }
                firstMarks[text] = key.node.mark
            }
            pairs.append(YAMLPair(key: key.node, value: value.node))
        }
        _ = try nextEvent()
        if !merges.isEmpty {
            var present = Set(firstMarks.keys)
            var merged: [YAMLPair] = []
            var next = 0
            for merge in merges {
                merged.append(contentsOf: pairs[next..<merge.index])
                next = merge.index
                for source in merge.sources {
                    for pair in source.pairs ?? [] {
                        if let text = pair.key.scalarText {
                            guard !present.contains(text) else { continue }
                            present.insert(text)
                        }
                        merged.append(pair)
                    }
                }
            }
            merged.append(contentsOf: pairs[next...])
            pairs = merged
        }
        return Composed(node: YAMLNode(.mapping(pairs), mark: mark, tag: tag), size: size, height: height)
    }

    /// The mappings a merge key's value names: a mapping, or a sequence of mappings
    /// (earlier ones win).
    private static func mergeSources(_ value: YAMLNode) throws(YAMLError) -> [YAMLNode] {
        switch value.kind {
        case .mapping:
            return [value]
        case .sequence(let items):
            for item in items where item.pairs == nil {
                throw YAMLError("a merge key '<<' takes a mapping or a sequence of mappings; this item is not a mapping",
                                at: item.mark)
            }
            return items
        case .scalar:
            throw YAMLError("a merge key '<<' takes a mapping or a sequence of mappings, not a scalar", at: value.mark)
        }
    }

    private static func abbreviated(_ text: String) -> String {
        text.unicodeScalars.count <= 60 ? text : String(String.UnicodeScalarView(text.unicodeScalars.prefix(57))) + "..."
    }
}
