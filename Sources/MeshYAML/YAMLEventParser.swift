/// Reads the scanner's tokens into events by recursive descent over YAML's grammar:
/// documents and their directives, block and flow collections, node properties.
/// Nesting is bounded by `maxDepth`, so hostile input cannot exhaust the stack.
struct YAMLEventParser {
    /// Collections nested deeper than this are rejected.
    static let maxDepth = 256
    static let coreTagPrefix = "tag:yaml.org,2002:"

    private var scanner: YAMLScanner
    private var events: [YAMLEvent] = []
    private var tagHandles: [String: String] = [:]

    init(_ text: String) throws(YAMLError) {
        scanner = try YAMLScanner(text)
    }

    /// Every event of the stream, from stream start to stream end.
    mutating func parse() throws(YAMLError) -> [YAMLEvent] {
        let start = try scanner.next()
        guard start.kind == .streamStart else { throw YAMLError("expected the start of the stream", at: start.mark) }
        emit(.streamStart, at: start.mark)
        var previousEndedExplicitly = true
        while true {
            var token = try scanner.peek()
            while token.kind == .documentEnd {
                _ = try scanner.next()
                previousEndedExplicitly = true
                token = try scanner.peek()
            }
            if token.kind == .streamEnd {
                _ = try scanner.next()
                emit(.streamEnd, at: token.mark)
                return events
            }
            try parseDirectives(previousEndedExplicitly: previousEndedExplicitly)
            token = try scanner.peek()
            if token.kind == .documentStart {
                _ = try scanner.next()
                emit(.documentStart(explicit: true), at: token.mark)
                let next = try scanner.peek()
                switch next.kind {
                case .versionDirective, .tagDirective, .reservedDirective, .documentStart, .documentEnd, .streamEnd:
                    emitEmptyScalar(at: token.mark)
                default:
                    try parseNode(block: true, indentlessSequence: false, depth: 1)
                }
            } else {
                emit(.documentStart(explicit: false), at: token.mark)
                try parseNode(block: true, indentlessSequence: false, depth: 1)
            }
            token = try scanner.peek()
            if token.kind == .documentEnd {
                _ = try scanner.next()
                emit(.documentEnd(explicit: true), at: token.mark)
                previousEndedExplicitly = true
            } else {
                switch token.kind {
                case .documentStart, .streamEnd, .versionDirective, .tagDirective, .reservedDirective:
                    break
                default:
                    throw YAMLError("found \(token.description) after the document's root node (a document has one root node)",
                                    at: token.mark)
                }
                emit(.documentEnd(explicit: false), at: token.mark)
                previousEndedExplicitly = false
            }
        }
    }

    // MARK: - Documents

    private mutating func parseDirectives(previousEndedExplicitly: Bool) throws(YAMLError) {
        tagHandles = ["!": "!", "!!": Self.coreTagPrefix]
        var declared: Set<String> = []
        var sawVersion = false
        var sawDirective = false
        while true {
            let token = try scanner.peek()
            switch token.kind {
            case .versionDirective(let major, _):
                guard !sawVersion else { throw YAMLError("found a second %YAML directive for one document", at: token.mark) }
                guard major == 1 else { throw YAMLError("found incompatible YAML version \(major).x (only 1.x is read)", at: token.mark) }
                sawVersion = true
            case .tagDirective(let handle, let prefix):
                guard !declared.contains(handle) else {
                    throw YAMLError("found a second %TAG directive for handle '\(handle)'", at: token.mark)
                }
                declared.insert(handle)
                tagHandles[handle] = prefix
            case .reservedDirective:
                break
            default:
                if sawDirective && token.kind != .documentStart {
                    throw YAMLError("expected '---' after directives", at: token.mark)
                }
                return
            }
            if !sawDirective && !previousEndedExplicitly {
                throw YAMLError("directives after a document need a document end marker '...' before them",
                                at: token.mark)
            }
            sawDirective = true
            _ = try scanner.next()
        }
    }

    // MARK: - Nodes

    private mutating func emit(_ kind: YAMLEvent.Kind, at mark: YAMLMark) {
        events.append(YAMLEvent(kind: kind, mark: mark))
    }

    private mutating func emitEmptyScalar(at mark: YAMLMark, anchor: String? = nil, tag: String? = nil) {
        emit(.scalar("", .plain, anchor: anchor, tag: tag), at: mark)
    }

    private func resolveTag(handle: String, suffix: String, at mark: YAMLMark) throws(YAMLError) -> String {
        if handle.isEmpty { return suffix }
        guard let prefix = tagHandles[handle] else {
            throw YAMLError("found undefined tag handle '\(handle)'", at: mark)
        }
        return prefix + suffix
    }

    private mutating func parseNode(block: Bool, indentlessSequence: Bool, depth: Int) throws(YAMLError) {
        var token = try scanner.peek()
        guard depth <= Self.maxDepth else {
            throw YAMLError("collections are nested too deeply (more than \(Self.maxDepth) levels)", at: token.mark)
        }
        if case .alias(let name) = token.kind {
            _ = try scanner.next()
            emit(.alias(name), at: token.mark)
            return
        }
        var anchor: String?
        var tag: String?
        var propertiesMark: YAMLMark?
        while true {
            if case .anchor(let name) = token.kind {
                guard anchor == nil else { throw YAMLError("a node may have only one anchor", at: token.mark) }
                anchor = name
            } else if case .tag(let handle, let suffix) = token.kind {
                guard tag == nil else { throw YAMLError("a node may have only one tag", at: token.mark) }
                tag = try resolveTag(handle: handle, suffix: suffix, at: token.mark)
            } else {
                break
            }
            propertiesMark = propertiesMark ?? token.mark
            _ = try scanner.next()
            token = try scanner.peek()
        }
        let mark = propertiesMark ?? token.mark
        switch token.kind {
        case .blockEntry where indentlessSequence:
            emit(.sequenceStart(anchor: anchor, tag: tag, flow: false), at: mark)
            try parseIndentlessSequence(depth: depth)
        case .scalar(let text, let style):
            _ = try scanner.next()
            emit(.scalar(text, style, anchor: anchor, tag: tag), at: mark)
        case .flowSequenceStart:
            emit(.sequenceStart(anchor: anchor, tag: tag, flow: true), at: mark)
            try parseFlowSequence(depth: depth)
        case .flowMappingStart:
            emit(.mappingStart(anchor: anchor, tag: tag, flow: true), at: mark)
            try parseFlowMapping(depth: depth)
        case .blockSequenceStart where block:
            emit(.sequenceStart(anchor: anchor, tag: tag, flow: false), at: mark)
            try parseBlockSequence(depth: depth)
        case .blockMappingStart where block:
            emit(.mappingStart(anchor: anchor, tag: tag, flow: false), at: mark)
            try parseBlockMapping(depth: depth)
        default:
            if anchor != nil || tag != nil {
                emitEmptyScalar(at: mark, anchor: anchor, tag: tag)
            } else {
                throw YAMLError("did not find expected node content (found \(token.description))", at: token.mark)
            }
        }
    }

    private mutating func parseBlockSequence(depth: Int) throws(YAMLError) {
        _ = try scanner.next()
        while true {
            let token = try scanner.peek()
            switch token.kind {
            case .blockEntry:
                _ = try scanner.next()
                let next = try scanner.peek()
                if next.kind == .blockEntry || next.kind == .blockEnd {
                    emitEmptyScalar(at: token.mark)
                } else {
                    try parseNode(block: true, indentlessSequence: false, depth: depth + 1)
                }
            case .blockEnd:
                _ = try scanner.next()
                emit(.sequenceEnd, at: token.mark)
                return
            case .blockMappingStart, .blockSequenceStart:
                throw YAMLError("bad indentation of a sequence entry", at: token.mark)
            default:
                throw YAMLError("did not find expected '-' indicator (found \(token.description))", at: token.mark)
            }
        }
    }

    private mutating func parseIndentlessSequence(depth: Int) throws(YAMLError) {
        while true {
            let token = try scanner.peek()
            guard token.kind == .blockEntry else {
                emit(.sequenceEnd, at: token.mark)
                return
            }
            _ = try scanner.next()
            let next = try scanner.peek()
            switch next.kind {
            case .blockEntry, .key, .value, .blockEnd:
                emitEmptyScalar(at: token.mark)
            default:
                try parseNode(block: true, indentlessSequence: false, depth: depth + 1)
            }
        }
    }

    private mutating func parseBlockMapping(depth: Int) throws(YAMLError) {
        _ = try scanner.next()
        while true {
            let token = try scanner.peek()
            switch token.kind {
            case .key:
                _ = try scanner.next()
                let next = try scanner.peek()
                switch next.kind {
                case .key, .value, .blockEnd:
                    emitEmptyScalar(at: token.mark)
                default:
                    try parseNode(block: true, indentlessSequence: true, depth: depth + 1)
                }
                try parseBlockMappingValue(depth: depth)
            case .value:
                emitEmptyScalar(at: token.mark)
                try parseBlockMappingValue(depth: depth)
            case .blockEnd:
                _ = try scanner.next()
                emit(.mappingEnd, at: token.mark)
                return
            case .blockMappingStart, .blockSequenceStart:
                throw YAMLError("bad indentation of a mapping entry", at: token.mark)
            default:
                throw YAMLError("did not find expected key (found \(token.description))", at: token.mark)
            }
        }
    }

    private mutating func parseBlockMappingValue(depth: Int) throws(YAMLError) {
        let token = try scanner.peek()
        guard token.kind == .value else {
            emitEmptyScalar(at: token.mark)
            return
        }
        _ = try scanner.next()
        let next = try scanner.peek()
        switch next.kind {
        case .key, .value, .blockEnd:
            emitEmptyScalar(at: token.mark)
        default:
            try parseNode(block: true, indentlessSequence: true, depth: depth + 1)
        }
    }

    private mutating func parseFlowSequence(depth: Int) throws(YAMLError) {
        let open = try scanner.next()
        var first = true
        while true {
            var token = try scanner.peek()
            if token.kind == .flowSequenceEnd { break }
            if !first {
                guard token.kind == .flowEntry else {
                    throw flowError(token, open: open, closer: "]")
                }
                _ = try scanner.next()
                token = try scanner.peek()
                if token.kind == .flowSequenceEnd { break }
            }
            first = false
            switch token.kind {
            case .key:
                _ = try scanner.next()
                emit(.mappingStart(anchor: nil, tag: nil, flow: true), at: token.mark)
                let next = try scanner.peek()
                switch next.kind {
                case .value, .flowEntry, .flowSequenceEnd:
                    emitEmptyScalar(at: token.mark)
                default:
                    try parseNode(block: false, indentlessSequence: false, depth: depth + 2)
                }
                try parseFlowPairValue(closer: .flowSequenceEnd, depth: depth + 1)
                emit(.mappingEnd, at: token.mark)
            case .value:
                emit(.mappingStart(anchor: nil, tag: nil, flow: true), at: token.mark)
                emitEmptyScalar(at: token.mark)
                try parseFlowPairValue(closer: .flowSequenceEnd, depth: depth + 1)
                emit(.mappingEnd, at: token.mark)
            case .flowEntry:
                throw YAMLError("found an empty entry ',' in a flow sequence", at: token.mark)
            case .streamEnd:
                throw flowError(token, open: open, closer: "]")
            default:
                try parseNode(block: false, indentlessSequence: false, depth: depth + 1)
            }
        }
        let close = try scanner.next()
        emit(.sequenceEnd, at: close.mark)
    }

    private mutating func parseFlowMapping(depth: Int) throws(YAMLError) {
        let open = try scanner.next()
        var first = true
        while true {
            var token = try scanner.peek()
            if token.kind == .flowMappingEnd { break }
            if !first {
                guard token.kind == .flowEntry else {
                    throw flowError(token, open: open, closer: "}")
                }
                _ = try scanner.next()
                token = try scanner.peek()
                if token.kind == .flowMappingEnd { break }
            }
            first = false
            switch token.kind {
            case .key:
                _ = try scanner.next()
                let next = try scanner.peek()
                switch next.kind {
                case .value, .flowEntry, .flowMappingEnd:
                    emitEmptyScalar(at: token.mark)
                default:
                    try parseNode(block: false, indentlessSequence: false, depth: depth + 1)
                }
                try parseFlowPairValue(closer: .flowMappingEnd, depth: depth)
            case .value:
                emitEmptyScalar(at: token.mark)
                try parseFlowPairValue(closer: .flowMappingEnd, depth: depth)
            case .flowEntry:
                throw YAMLError("found an empty entry ',' in a flow mapping", at: token.mark)
            case .streamEnd:
                throw flowError(token, open: open, closer: "}")
            default:
                try parseNode(block: false, indentlessSequence: false, depth: depth + 1)
                let next = try scanner.peek()
                emitEmptyScalar(at: next.mark)
            }
        }
        let close = try scanner.next()
        emit(.mappingEnd, at: close.mark)
    }

    /// The `: value` part of a flow mapping entry (an empty value when there is no `:`).
    private mutating func parseFlowPairValue(closer: YAMLToken.Kind, depth: Int) throws(YAMLError) {
        let token = try scanner.peek()
        guard token.kind == .value else {
            emitEmptyScalar(at: token.mark)
            return
        }
        _ = try scanner.next()
        let next = try scanner.peek()
        if next.kind == .flowEntry || next.kind == closer {
            emitEmptyScalar(at: token.mark)
        } else {
            try parseNode(block: false, indentlessSequence: false, depth: depth + 1)
        }
    }

    private func flowError(_ token: YAMLToken, open: YAMLToken, closer: String) -> YAMLError {
        let what = closer == "]" ? "flow sequence" : "flow mapping"
        if token.kind == .streamEnd {
            return YAMLError("unexpected end of \(what): the '\(closer == "]" ? "[" : "{")' here is never closed", at: open.mark)
        }
        return YAMLError("did not find expected ',' or '\(closer)' in a \(what) (found \(token.description))", at: token.mark)
    }
}
