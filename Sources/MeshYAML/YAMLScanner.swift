/// Turns YAML text into tokens, one at a time on demand.
///
/// The design follows libyaml's scanner (an indentation stack that produces block
/// start/end tokens, and "simple keys": a token that may turn out to be an implicit key
/// once a `:` follows, so a KEY token is inserted before it), with the YAML 1.2 rules:
/// `:` inside plain scalars, JSON-like adjacent values in flow collections, tabs never
/// as indentation, flow lines indented past their block, and no multi-line implicit keys.
///
/// Line breaks (`\n`, `\r\n`, `\r`) are normalized to `\n` up front, a missing final line
/// break is added (as the yaml-test-suite reads block scalars), a leading byte-order mark
/// is dropped, and characters YAML does not allow (control characters) are rejected, so
/// `"\0"` can mark the end of the text.
struct YAMLScanner {
    /// A token that may become an implicit key when a `:` follows it.
    private struct SimpleKey {
        var possible = false
        /// In block context at the indentation column: a key must follow or it is an error.
        var required = false
        /// The token's number since the stream start, to insert KEY before it.
        var tokenNumber = 0
        var index = 0
        var line = 0
        var column = 0
        /// It starts a line whose indentation holds a tab (an error if it becomes a key).
        var tabIndented = false
        /// A tab separates it from an indicator before it (an error if it starts a mapping).
        var tabBefore = false

        var mark: YAMLMark { YAMLMark(line: line, column: column + 1) }
    }

    /// A place in the text to come back to.
    private struct Position {
        var index: Int
        var line: Int
        var column: Int
    }

    /// Flow collections nested deeper than this are rejected by the scanner itself.
    static let maxFlowDepth = 1_000
    /// An implicit key may not be longer than this (YAML's limit).
    static let maxSimpleKeyLength = 1_024

    private let chars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    /// 0-based here; marks are 1-based.
    private var column = 0

    private var tokens: [YAMLToken] = []
    private var head = 0
    private var tokensTaken = 0
    private var streamStarted = false
    private var streamEnded = false

    /// The indentation of the innermost block collection (-1 at the top).
    private var indent = -1
    private var indents: [Int] = []
    private var simpleKeyAllowed = false
    /// One per flow level, the block level first.
    private var simpleKeys: [SimpleKey] = []
    /// One per open flow collection: true for a mapping.
    private var flowKinds: [Bool] = []
    /// Where each open flow collection starts.
    private var flowMarks: [YAMLMark] = []
    /// The last would-be key of the block level that stopped being one (multi-line or too
    /// long), to explain a `:` that follows it.
    private var droppedKey: (mark: YAMLMark, tooLong: Bool)?
    private var flowLevel: Int { flowKinds.count }
    /// The last token was a JSON-like node (quoted scalar, flow collection end): in flow
    /// context a `:` after it needs no space after it.
    private var afterJSONNode = false

    /// Whether the token being fetched is the first on its line, how many spaces begin
    /// that line, and whether its leading whitespace holds a tab.
    private var tokenStartsLine = false
    private var lineSpaces = 0
    private var lineHasLeadingTab = false
    /// The whitespace right before the token (on its line) holds a tab.
    private var tabBeforeToken = false

    init(_ text: String) throws(YAMLError) {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.utf8.count)
        var line = 1
        var column = 1
        var afterCR = false
        var first = true
        for c in text.unicodeScalars {
            defer { first = false }
            if first && c == "\u{FEFF}" { continue }
            if c == "\r" {
                out.append("\n")
                line += 1
                column = 1
                afterCR = true
                continue
            }
            if c == "\n" {
                if afterCR {
                    afterCR = false
                    continue
                }
                out.append("\n")
                line += 1
                column = 1
                continue
            }
            afterCR = false
            guard Self.isPrintable(c) else {
                throw YAMLError("invalid character \(Self.codePoint(c)) (control characters are not allowed)",
                                at: YAMLMark(line: line, column: column))
            }
            out.append(c)
            column += 1
        }
        // The last line ends at the end of the text as if by a line break (which is what the
        // yaml-test-suite expects of block scalars whose last line has no break).
        if let last = out.last, last != "\n" { out.append("\n") }
        chars = out
    }

    // MARK: - The parser's interface

    /// The next token, without taking it.
    mutating func peek() throws(YAMLError) -> YAMLToken {
        try fetchMoreTokens()
        if head < tokens.count { return tokens[head] }
        return YAMLToken(kind: .streamEnd, mark: mark)
    }

    /// The next token, taken.
    mutating func next() throws(YAMLError) -> YAMLToken {
        let token = try peek()
        if head < tokens.count {
            head += 1
            tokensTaken += 1
            if head > 256 && head * 2 > tokens.count {
                tokens.removeFirst(head)
                head = 0
            }
        }
        return token
    }

    // MARK: - Characters

    private var mark: YAMLMark { YAMLMark(line: line, column: column + 1) }

    private func at(_ offset: Int = 0) -> Unicode.Scalar {
        let i = index + offset
        return i < chars.count ? chars[i] : "\0"
    }

    private var atEnd: Bool { index >= chars.count }

    private mutating func advance() {
        guard index < chars.count else { return }
        if chars[index] == "\n" {
            line += 1
            column = 0
        } else {
            column += 1
        }
        index += 1
    }

    private mutating func advance(_ count: Int) {
        for _ in 0..<count { advance() }
    }

    private var position: Position { Position(index: index, line: line, column: column) }

    private mutating func restore(_ p: Position) {
        index = p.index
        line = p.line
        column = p.column
    }

    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09, 0x0A, 0x0D, 0x20...0x7E, 0x85, 0xA0...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    static func codePoint(_ c: Unicode.Scalar) -> String {
        let hex = String(c.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    private static func isBlank(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" }
    private static func isBreak(_ c: Unicode.Scalar) -> Bool { c == "\n" }
    private static func isBreakOrEnd(_ c: Unicode.Scalar) -> Bool { c == "\n" || c == "\0" }
    private static func isBlankOrEnd(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\0" }
    private static func isFlowIndicator(_ c: Unicode.Scalar) -> Bool {
        c == "," || c == "[" || c == "]" || c == "{" || c == "}"
    }
    private static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    private static func isHexDigit(_ c: Unicode.Scalar) -> Bool {
        isDigit(c) || (c >= "a" && c <= "f") || (c >= "A" && c <= "F")
    }
    /// `ns-word-char`: ASCII letters, digits and `-`.
    private static func isWordChar(_ c: Unicode.Scalar) -> Bool {
        isDigit(c) || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "-"
    }
    /// `ns-uri-char` (without `%`, which is handled as an escape).
    private static func isURIChar(_ c: Unicode.Scalar) -> Bool {
        isWordChar(c) || "#;/?:@&=+$,_.!~*'()[]".unicodeScalars.contains(c)
    }
    /// `ns-tag-char`: a URI character but not `!` or a flow indicator.
    private static func isTagChar(_ c: Unicode.Scalar) -> Bool {
        isURIChar(c) && c != "!" && !isFlowIndicator(c)
    }
    /// `c-indicator`.
    private static func isIndicator(_ c: Unicode.Scalar) -> Bool {
        "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(c)
    }

    /// `---` or `...` at the current position (column 0), followed by a blank or the end.
    private func atDocumentIndicator() -> Bool {
        guard column == 0 else { return false }
        let c = at()
        guard c == "-" || c == "." else { return false }
        return at(1) == c && at(2) == c && Self.isBlankOrEnd(at(3))
    }

    // MARK: - Token queue

    private mutating func fetchMoreTokens() throws(YAMLError) {
        while !streamEnded {
            var need = head == tokens.count
            if !need {
                try staleSimpleKeys()
                for key in simpleKeys where key.possible && key.tokenNumber == tokensTaken {
                    need = true
                    break
                }
            }
            if !need { return }
            try fetchNextToken()
        }
    }

    private mutating func append(_ kind: YAMLToken.Kind, at mark: YAMLMark) {
        tokens.append(YAMLToken(kind: kind, mark: mark))
    }

    private mutating func insert(_ kind: YAMLToken.Kind, at mark: YAMLMark, number: Int) {
        let offset = head + (number - tokensTaken)
        tokens.insert(YAMLToken(kind: kind, mark: mark), at: min(max(offset, head), tokens.count))
    }

    private mutating func fetchNextToken() throws(YAMLError) {
        if !streamStarted {
            streamStarted = true
            indent = -1
            simpleKeyAllowed = true
            simpleKeys = [SimpleKey()]
            append(.streamStart, at: mark)
            return
        }
        try scanToNextToken()
        try staleSimpleKeys()
        unrollIndent(column)

        if atEnd {
            try fetchStreamEnd()
            return
        }
        let c = at()
        if tokenStartsLine { try checkLineIndentation(c) }
        let jsonKeyBefore = afterJSONNode
        afterJSONNode = false

        if column == 0 {
            if c == "%" {
                try fetchDirective()
                return
            }
            if atDocumentIndicator() {
                try fetchDocumentIndicator(start: c == "-")
                return
            }
        }
        switch c {
        case "[": try fetchFlowCollectionStart(mapping: false)
        case "{": try fetchFlowCollectionStart(mapping: true)
        case "]": try fetchFlowCollectionEnd(mapping: false)
        case "}": try fetchFlowCollectionEnd(mapping: true)
        case ",": try fetchFlowEntry()
        case "-" where Self.isBlankOrEnd(at(1)): try fetchBlockEntry()
        case "?" where Self.isBlankOrEnd(at(1)): try fetchKey()
        case ":" where Self.isBlankOrEnd(at(1))
            || (flowLevel > 0 && (Self.isFlowIndicator(at(1)) || jsonKeyBefore)):
            try fetchValue()
        case "*": try fetchAnchor(alias: true)
        case "&": try fetchAnchor(alias: false)
        case "!": try fetchTag()
        case "|" where flowLevel == 0, ">" where flowLevel == 0: try fetchBlockScalar()
        case "'", "\"": try fetchFlowScalar(single: c == "'")
        default:
            if canStartPlainScalar(c) {
                try fetchPlainScalar()
            } else if c == "\t" {
                throw YAMLError("found a tab character where it is not allowed", at: mark)
            } else if c == "#" {
                throw YAMLError("a comment must be separated from other tokens by whitespace", at: mark)
            } else if c == "|" || c == ">" {
                throw YAMLError("block scalars are not allowed inside flow collections", at: mark)
            } else if c == "@" || c == "`" {
                throw YAMLError("found reserved indicator '\(c)' that cannot start a plain scalar", at: mark)
            } else if c == "-" || c == "?" || c == ":" {
                throw YAMLError("found '\(c)' that cannot start a plain scalar here", at: mark)
            } else {
                throw YAMLError("found character '\(c)' that cannot start any token", at: mark)
            }
        }
    }

    private func canStartPlainScalar(_ c: Unicode.Scalar) -> Bool {
        if Self.isBlankOrEnd(c) { return false }
        if !Self.isIndicator(c) { return true }
        guard c == "-" || c == "?" || c == ":" else { return false }
        let n = at(1)
        if Self.isBlankOrEnd(n) { return false }
        return flowLevel == 0 || !Self.isFlowIndicator(n)
    }

    /// Skips whitespace, comments and line breaks up to the next token, noting whether that
    /// token starts its line and how that line is indented.
    private mutating func scanToNextToken() throws(YAMLError) {
        var startsLine = column == 0
        var spaces = 0
        var leadingTab = false
        var tab = false
        while true {
            var skippedBlank = false
            if startsLine {
                while at() == " " {
                    advance()
                    spaces += 1
                }
                while Self.isBlank(at()) {
                    if at() == "\t" { leadingTab = true }
                    advance()
                    skippedBlank = true
                }
                tab = leadingTab
            } else {
                while Self.isBlank(at()) {
                    if at() == "\t" { tab = true }
                    advance()
                    skippedBlank = true
                }
            }
            if at() == "#" && (startsLine || skippedBlank || spaces > 0) {
                while !Self.isBreakOrEnd(at()) { advance() }
            }
            guard Self.isBreak(at()) else { break }
            advance()
            startsLine = true
            spaces = 0
            leadingTab = false
            tab = false
            if flowLevel == 0 { simpleKeyAllowed = true }
        }
        tokenStartsLine = startsLine
        lineSpaces = spaces
        lineHasLeadingTab = leadingTab
        tabBeforeToken = tab
    }

    /// The first token of a line: tabs may not make up its indentation, and lines inside a
    /// flow collection must be indented more than the block around it.
    private mutating func checkLineIndentation(_ c: Unicode.Scalar) throws(YAMLError) {
        if flowLevel == 0 {
            guard lineHasLeadingTab else { return }
            let blockIndicator = (c == "-" || c == "?" || c == ":") && Self.isBlankOrEnd(at(1))
            if blockIndicator || lineSpaces <= indent {
                throw YAMLError("tabs are not allowed as indentation", at: YAMLMark(line: line, column: lineSpaces + 1))
            }
        } else if indent >= 0 && lineSpaces <= indent && !atDocumentIndicator() {
            let open = flowMarks.last.map { " started at \($0)" } ?? ""
            let closer = flowKinds.last == true ? "}" : "]"
            throw YAMLError("this line is not indented enough to continue the flow collection\(open) (missing '\(closer)'?)",
                            at: mark)
        }
    }

    // MARK: - Simple keys and indentation

    private mutating func staleSimpleKeys() throws(YAMLError) {
        for level in simpleKeys.indices {
            let key = simpleKeys[level]
            guard key.possible else { continue }
            // Implicit keys stay on one line, except in a flow mapping.
            let singleLine = level == 0 || !flowKinds[level - 1]
            let tooLong = key.index + Self.maxSimpleKeyLength < index
            if (singleLine && key.line < line) || tooLong {
                if key.required {
                    throw YAMLError("could not find expected ':'", at: key.mark)
                }
                simpleKeys[level].possible = false
                if level == 0 { droppedKey = (key.mark, tooLong) }
            }
        }
    }

    private mutating func saveSimpleKey() throws(YAMLError) {
        guard simpleKeyAllowed else { return }
        let required = flowLevel == 0 && indent == column
        try removeSimpleKey()
        if flowLevel == 0 { droppedKey = nil }
        simpleKeys[simpleKeys.count - 1] = SimpleKey(
            possible: true, required: required,
            tokenNumber: tokensTaken + (tokens.count - head),
            index: index, line: line, column: column,
            tabIndented: flowLevel == 0 && tokenStartsLine && lineHasLeadingTab,
            tabBefore: flowLevel == 0 && tabBeforeToken)
    }

    private mutating func removeSimpleKey() throws(YAMLError) {
        let last = simpleKeys.count - 1
        if simpleKeys[last].possible && simpleKeys[last].required {
            throw YAMLError("could not find expected ':'", at: simpleKeys[last].mark)
        }
        simpleKeys[last].possible = false
    }

    private mutating func rollIndent(_ column: Int, number: Int?, kind: YAMLToken.Kind, at mark: YAMLMark) {
        guard flowLevel == 0, indent < column else { return }
        indents.append(indent)
        indent = column
        if let number {
            insert(kind, at: mark, number: number)
        } else {
            append(kind, at: mark)
        }
    }

    private mutating func unrollIndent(_ column: Int) {
        guard flowLevel == 0 else { return }
        while indent > column {
            append(.blockEnd, at: mark)
            indent = indents.popLast() ?? -1
        }
    }

    // MARK: - Fetchers

    private mutating func fetchStreamEnd() throws(YAMLError) {
        unrollIndent(-1)
        try removeSimpleKey()
        simpleKeyAllowed = false
        append(.streamEnd, at: mark)
        streamEnded = true
    }

    private mutating func fetchDirective() throws(YAMLError) {
        unrollIndent(-1)
        try removeSimpleKey()
        simpleKeyAllowed = false
        let token = try scanDirective()
        tokens.append(token)
    }

    private mutating func fetchDocumentIndicator(start: Bool) throws(YAMLError) {
        unrollIndent(-1)
        try removeSimpleKey()
        simpleKeyAllowed = false
        let m = mark
        advance(3)
        if !start {
            // Only a comment may follow `...` on its line.
            var blank = false
            while Self.isBlank(at()) {
                advance()
                blank = true
            }
            if at() == "#" && blank {
                while !Self.isBreakOrEnd(at()) { advance() }
            }
            if !Self.isBreakOrEnd(at()) {
                throw YAMLError("found content after a document end marker '...'", at: mark)
            }
        }
        append(start ? .documentStart : .documentEnd, at: m)
    }

    private mutating func fetchFlowCollectionStart(mapping: Bool) throws(YAMLError) {
        try saveSimpleKey()
        guard flowLevel < Self.maxFlowDepth else {
            throw YAMLError("flow collections are nested too deeply (more than \(Self.maxFlowDepth) levels)", at: mark)
        }
        flowKinds.append(mapping)
        flowMarks.append(mark)
        simpleKeys.append(SimpleKey())
        simpleKeyAllowed = true
        appendIndicator(mapping ? .flowMappingStart : .flowSequenceStart)
    }

    private mutating func fetchFlowCollectionEnd(mapping: Bool) throws(YAMLError) {
        try removeSimpleKey()
        if flowLevel > 0 {
            flowKinds.removeLast()
            flowMarks.removeLast()
            simpleKeys.removeLast()
        }
        simpleKeyAllowed = false
        let m = mark
        advance()
        afterJSONNode = true
        append(mapping ? .flowMappingEnd : .flowSequenceEnd, at: m)
    }

    /// Appends a one-character indicator token at the current mark and steps over it.
    private mutating func appendIndicator(_ kind: YAMLToken.Kind) {
        let m = mark
        advance()
        append(kind, at: m)
    }

    private mutating func fetchFlowEntry() throws(YAMLError) {
        try removeSimpleKey()
        simpleKeyAllowed = true
        appendIndicator(.flowEntry)
    }

    private mutating func fetchBlockEntry() throws(YAMLError) {
        if flowLevel == 0 {
            guard simpleKeyAllowed else {
                throw YAMLError("block sequence entries are not allowed here", at: mark)
            }
            if tabBeforeToken { throw YAMLError("tabs are not allowed as indentation", at: mark) }
            rollIndent(column, number: nil, kind: .blockSequenceStart, at: mark)
        } else {
            throw YAMLError("block sequence entries are not allowed inside a flow collection", at: mark)
        }
        try removeSimpleKey()
        simpleKeyAllowed = true
        appendIndicator(.blockEntry)
    }

    private mutating func fetchKey() throws(YAMLError) {
        if flowLevel == 0 {
            guard simpleKeyAllowed else {
                throw YAMLError("mapping keys are not allowed here", at: mark)
            }
            if tabBeforeToken { throw YAMLError("tabs are not allowed as indentation", at: mark) }
            rollIndent(column, number: nil, kind: .blockMappingStart, at: mark)
        }
        try removeSimpleKey()
        simpleKeyAllowed = flowLevel == 0
        appendIndicator(.key)
    }

    private mutating func fetchValue() throws(YAMLError) {
        let last = simpleKeys.count - 1
        let key = simpleKeys[last]
        if key.possible {
            if key.tabIndented || (key.tabBefore && indent < key.column) {
                throw YAMLError("tabs are not allowed as indentation", at: YAMLMark(line: key.line, column: 1))
            }
            insert(.key, at: key.mark, number: key.tokenNumber)
            rollIndent(key.column, number: key.tokenNumber, kind: .blockMappingStart, at: key.mark)
            simpleKeys[last].possible = false
            simpleKeyAllowed = false
        } else {
            if flowLevel == 0 {
                guard simpleKeyAllowed else {
                    if let droppedKey, droppedKey.tooLong {
                        throw YAMLError("an implicit key may not be longer than \(Self.maxSimpleKeyLength) characters",
                                        at: droppedKey.mark)
                    }
                    if let droppedKey, droppedKey.mark.line < line {
                        throw YAMLError("an implicit key must be on a single line", at: droppedKey.mark)
                    }
                    throw YAMLError("mapping values are not allowed here", at: mark)
                }
                if tabBeforeToken { throw YAMLError("tabs are not allowed as indentation", at: mark) }
                rollIndent(column, number: nil, kind: .blockMappingStart, at: mark)
            }
            simpleKeyAllowed = flowLevel == 0
        }
        appendIndicator(.value)
    }

    private mutating func fetchAnchor(alias: Bool) throws(YAMLError) {
        try saveSimpleKey()
        simpleKeyAllowed = false
        let m = mark
        advance()
        var name = ""
        while !Self.isBlankOrEnd(at()) && !Self.isFlowIndicator(at()) {
            name.unicodeScalars.append(at())
            advance()
        }
        if name.isEmpty {
            throw YAMLError(alias ? "an alias needs a name after '*'" : "an anchor needs a name after '&'", at: m)
        }
        append(alias ? .alias(name) : .anchor(name), at: m)
    }

    private mutating func fetchTag() throws(YAMLError) {
        try saveSimpleKey()
        simpleKeyAllowed = false
        let m = mark
        let handle: String
        let suffix: String
        if at(1) == "<" {
            advance(2)
            suffix = try scanURI(allowed: Self.isURIChar, what: "verbatim tag")
            guard at() == ">" else {
                throw YAMLError("did not find the expected '>' closing a verbatim tag", at: mark)
            }
            advance()
            guard !suffix.isEmpty else { throw YAMLError("a verbatim tag must not be empty", at: m) }
            handle = ""
        } else {
            var j = 1
            while Self.isWordChar(at(j)) { j += 1 }
            if at(j) == "!" {
                var h = ""
                for _ in 0...j {
                    h.unicodeScalars.append(at())
                    advance()
                }
                handle = h
                suffix = try scanURI(allowed: Self.isTagChar, what: "tag")
                if suffix.isEmpty {
                    throw YAMLError("the tag '\(handle)' needs a suffix", at: m)
                }
            } else {
                advance()
                handle = "!"
                suffix = try scanURI(allowed: Self.isTagChar, what: "tag")
            }
        }
        let c = at()
        guard Self.isBlankOrEnd(c) || (flowLevel > 0 && Self.isFlowIndicator(c)) else {
            throw YAMLError("expected whitespace after a tag, found '\(c)'", at: mark)
        }
        append(.tag(handle: handle, suffix: suffix), at: m)
    }

    /// URI characters with `%XX` escapes decoded (as UTF-8).
    private mutating func scanURI(allowed: (Unicode.Scalar) -> Bool, what: String) throws(YAMLError) -> String {
        var bytes: [UInt8] = []
        while true {
            let c = at()
            if c == "%" {
                let m = mark
                guard Self.isHexDigit(at(1)), Self.isHexDigit(at(2)),
                      let byte = UInt8(String(String.UnicodeScalarView([at(1), at(2)])), radix: 16) else {
                    throw YAMLError("invalid %-escape in a \(what)", at: m)
                }
                bytes.append(byte)
                advance(3)
            } else if allowed(c) {
                bytes.append(contentsOf: String(c).utf8)
                advance()
            } else {
                break
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw YAMLError("a \(what) holds %-escapes that are not valid UTF-8", at: mark)
        }
        return text
    }

    private mutating func fetchBlockScalar() throws(YAMLError) {
        try removeSimpleKey()
        simpleKeyAllowed = true
        tokens.append(try scanBlockScalar())
    }

    private mutating func fetchFlowScalar(single: Bool) throws(YAMLError) {
        try saveSimpleKey()
        simpleKeyAllowed = false
        tokens.append(try scanFlowScalar(single: single))
        afterJSONNode = true
    }

    private mutating func fetchPlainScalar() throws(YAMLError) {
        try saveSimpleKey()
        simpleKeyAllowed = false
        let start = index
        let token = scanPlainScalar()
        // Every token consumes text; anything else would loop forever.
        guard index > start else {
            throw YAMLError("found character '\(at())' that cannot start any token", at: token.mark)
        }
        tokens.append(token)
    }

    // MARK: - Directives

    private mutating func scanDirective() throws(YAMLError) -> YAMLToken {
        let m = mark
        advance()
        var name = ""
        while !Self.isBlankOrEnd(at()) {
            name.unicodeScalars.append(at())
            advance()
        }
        if name.isEmpty {
            throw YAMLError("a directive needs a name after '%'", at: m)
        }
        let kind: YAMLToken.Kind
        switch name {
        case "YAML":
            try skipSeparator(before: "the YAML version")
            let major = try scanVersionNumber()
            guard at() == "." else { throw YAMLError("expected a version like '1.2' in the %YAML directive", at: mark) }
            advance()
            let minor = try scanVersionNumber()
            kind = .versionDirective(major: major, minor: minor)
        case "TAG":
            try skipSeparator(before: "the tag handle")
            let handleMark = mark
            guard at() == "!" else { throw YAMLError("expected a tag handle starting with '!'", at: handleMark) }
            var handle = "!"
            advance()
            if at() != " " && at() != "\t" {
                while Self.isWordChar(at()) {
                    handle.unicodeScalars.append(at())
                    advance()
                }
                guard at() == "!" else { throw YAMLError("a named tag handle must end with '!'", at: handleMark) }
                handle += "!"
                advance()
            }
            try skipSeparator(before: "the tag prefix")
            let prefixMark = mark
            var prefix = ""
            if at() == "!" {
                prefix = "!"
                advance()
                prefix += try scanURI(allowed: Self.isURIChar, what: "tag prefix")
            } else {
                guard Self.isTagChar(at()) || at() == "%" else {
                    throw YAMLError("expected a tag prefix", at: prefixMark)
                }
                prefix = try scanURI(allowed: Self.isURIChar, what: "tag prefix")
            }
            kind = .tagDirective(handle: handle, prefix: prefix)
        default:
            // A reserved directive: its parameters are skipped.
            while !Self.isBreakOrEnd(at()) {
                if at() == "#" && Self.isBlank(chars[index - 1]) { break }
                advance()
            }
            kind = .reservedDirective(name: name)
        }
        var blank = index > 0 && Self.isBlank(chars[index - 1])
        while Self.isBlank(at()) {
            advance()
            blank = true
        }
        if at() == "#" && blank {
            while !Self.isBreakOrEnd(at()) { advance() }
        }
        guard Self.isBreakOrEnd(at()) else {
            throw YAMLError("expected a comment or a line break after the directive", at: mark)
        }
        return YAMLToken(kind: kind, mark: m)
    }

    private mutating func skipSeparator(before what: String) throws(YAMLError) {
        guard Self.isBlank(at()) else { throw YAMLError("expected whitespace before \(what)", at: mark) }
        while Self.isBlank(at()) { advance() }
    }

    private mutating func scanVersionNumber() throws(YAMLError) -> Int {
        var value = 0
        var digits = 0
        while Self.isDigit(at()) {
            digits += 1
            guard digits <= 9 else { throw YAMLError("the YAML version number is too long", at: mark) }
            value = value * 10 + Int(at().value - 48)
            advance()
        }
        guard digits > 0 else { throw YAMLError("expected a version number in the %YAML directive", at: mark) }
        return value
    }

    // MARK: - Block scalars

    private mutating func scanBlockScalar() throws(YAMLError) -> YAMLToken {
        let startMark = mark
        let literal = at() == "|"
        advance()
        var chomp = 0  // -1 strip, 0 clip, +1 keep
        var increment = 0
        for _ in 0..<2 {
            let c = at()
            if (c == "+" || c == "-") && chomp == 0 {
                chomp = c == "+" ? 1 : -1
                advance()
            } else if Self.isDigit(c) && increment == 0 {
                guard c != "0" else {
                    throw YAMLError("a block scalar's indentation indicator must be 1 to 9", at: mark)
                }
                increment = Int(c.value - 48)
                advance()
            }
        }
        var blank = false
        while Self.isBlank(at()) {
            advance()
            blank = true
        }
        if at() == "#" && blank {
            while !Self.isBreakOrEnd(at()) { advance() }
        }
        guard Self.isBreakOrEnd(at()) else {
            throw YAMLError("expected a comment or a line break after the block scalar indicator", at: mark)
        }
        advance()

        let contentIndent: Int
        if increment > 0 {
            contentIndent = indent + increment
        } else {
            // Auto-detect: the indentation of the first non-empty line.
            var i = index
            var maxEmpty = 0
            var maxEmptyLine = line
            var probeLine = line
            var detected: Int?
            while i < chars.count {
                var n = 0
                while i + n < chars.count && chars[i + n] == " " { n += 1 }
                if i + n < chars.count && chars[i + n] == "\n" {
                    if n > maxEmpty {
                        maxEmpty = n
                        maxEmptyLine = probeLine
                    }
                    i += n + 1
                    probeLine += 1
                    continue
                }
                if i + n < chars.count { detected = n }
                break
            }
            if let d = detected, d > indent {
                if maxEmpty > d {
                    throw YAMLError("a leading empty line of a block scalar is indented more than its first line",
                                    at: YAMLMark(line: maxEmptyLine, column: maxEmpty))
                }
                contentIndent = max(d, indent + 1)
            } else {
                // No content line: every leading line is empty.
                contentIndent = max(maxEmpty, indent + 1, 0)
            }
        }

        var text = ""
        var leadingBreak = false
        var trailingBreaks = 0
        var leadingBlank = false
        while !atEnd {
            let lineStart = position
            while column < contentIndent && at() == " " { advance() }
            if lineStart.column == 0 && column == 0 && atDocumentIndicator() {
                restore(lineStart)
                break
            }
            if Self.isBreak(at()) {
                trailingBreaks += 1
                advance()
                continue
            }
            if atEnd { break }
            if column < contentIndent {
                if at() == "\t" {
                    throw YAMLError("tabs are not allowed as indentation (in a block scalar)", at: mark)
                }
                restore(lineStart)
                break
            }
            let trailingBlank = Self.isBlank(at())
            if !literal && leadingBreak && !leadingBlank && !trailingBlank {
                if trailingBreaks == 0 { text += " " }
                leadingBreak = false
            }
            if leadingBreak { text += "\n" }
            text += String(repeating: "\n", count: trailingBreaks)
            leadingBreak = false
            trailingBreaks = 0
            leadingBlank = trailingBlank
            while !Self.isBreakOrEnd(at()) {
                text.unicodeScalars.append(at())
                advance()
            }
            if atEnd { break }
            advance()
            leadingBreak = true
        }
        if chomp != -1 && leadingBreak { text += "\n" }
        if chomp == 1 {
            // Keep: with no content line, the header's own break does not count.
            text += String(repeating: "\n", count: trailingBreaks)
        }
        return YAMLToken(kind: .scalar(text, literal ? .literal : .folded), mark: startMark)
    }

    // MARK: - Quoted scalars

    private mutating func scanFlowScalar(single: Bool) throws(YAMLError) -> YAMLToken {
        let startMark = mark
        let quote: Unicode.Scalar = single ? "'" : "\""
        advance()
        var text = ""
        while true {
            if atDocumentIndicator() {
                throw YAMLError("found a document marker inside a quoted scalar", at: mark)
            }
            if atEnd {
                throw YAMLError("found the end of the stream inside a quoted scalar (missing closing \(quote))",
                                at: startMark)
            }
            var leadingBlanks = false
            while !Self.isBlankOrEnd(at()) {
                let c = at()
                if single && c == "'" && at(1) == "'" {
                    text += "'"
                    advance(2)
                } else if c == quote {
                    break
                } else if !single && c == "\\" && Self.isBreak(at(1)) {
                    advance(2)
                    leadingBlanks = true
                    break
                } else if !single && c == "\\" {
                    text.unicodeScalars.append(try scanEscape())
                } else {
                    text.unicodeScalars.append(c)
                    advance()
                }
            }
            if at() == quote { break }

            // Whitespace and line breaks: folded.
            var whitespace = ""
            var leadingBreak = false
            var trailingBreaks = 0
            var spaces = 0
            var tab = false
            var crossedBreak = leadingBlanks
            while Self.isBlank(at()) || Self.isBreak(at()) {
                if Self.isBlank(at()) {
                    if !leadingBlanks {
                        whitespace.unicodeScalars.append(at())
                    } else if at() == " " && !tab {
                        spaces += 1
                    } else {
                        tab = true
                    }
                    advance()
                } else {
                    advance()
                    crossedBreak = true
                    spaces = 0
                    tab = false
                    if !leadingBlanks {
                        whitespace = ""
                        leadingBreak = true
                        leadingBlanks = true
                    } else {
                        trailingBreaks += 1
                    }
                }
            }
            if crossedBreak && !atEnd && indent >= 0 && spaces <= indent && !atDocumentIndicator() {
                throw YAMLError("a quoted scalar's continuation lines must be indented more than the block around it",
                                at: mark)
            }
            if leadingBlanks {
                if leadingBreak {
                    if trailingBreaks == 0 {
                        text += " "
                    } else {
                        text += String(repeating: "\n", count: trailingBreaks)
                    }
                } else {
                    text += String(repeating: "\n", count: trailingBreaks)
                }
            } else {
                text += whitespace
            }
        }
        advance()  // the closing quote
        return YAMLToken(kind: .scalar(text, single ? .singleQuoted : .doubleQuoted), mark: startMark)
    }

    private mutating func scanEscape() throws(YAMLError) -> Unicode.Scalar {
        let m = mark
        advance()  // the backslash
        let c = at()
        var hexLength = 0
        let simple: Unicode.Scalar?
        switch c {
        case "0": simple = "\u{0}"
        case "a": simple = "\u{7}"
        case "b": simple = "\u{8}"
        case "t", "\t": simple = "\t"
        case "n": simple = "\n"
        case "v": simple = "\u{B}"
        case "f": simple = "\u{C}"
        case "r": simple = "\r"
        case "e": simple = "\u{1B}"
        case " ": simple = " "
        case "\"": simple = "\""
        case "/": simple = "/"
        case "\\": simple = "\\"
        case "N": simple = "\u{85}"
        case "_": simple = "\u{A0}"
        case "L": simple = "\u{2028}"
        case "P": simple = "\u{2029}"
        case "x": simple = nil; hexLength = 2
        case "u": simple = nil; hexLength = 4
        case "U": simple = nil; hexLength = 8
        default:
            throw YAMLError("found unknown escape character '\\\(c == "\0" ? "" : String(c))'", at: m)
        }
        advance()
        if let simple { return simple }
        var value: UInt32 = 0
        for k in 0..<hexLength {
            let h = at(k)
            guard Self.isHexDigit(h), let digit = UInt32(String(h), radix: 16) else {
                throw YAMLError("expected \(hexLength) hexadecimal digits after '\\\(c)'", at: m)
            }
            value = value * 16 + digit
        }
        advance(hexLength)
        guard let scalar = Unicode.Scalar(value) else {
            throw YAMLError("escape '\\\(c)' names an invalid Unicode code point", at: m)
        }
        return scalar
    }

    // MARK: - Plain scalars

    /// Scans a plain scalar and leaves the position right after its last character, so the
    /// whitespace and breaks after it are read again by `scanToNextToken`.
    private mutating func scanPlainScalar() -> YAMLToken {
        let startMark = mark
        let minIndent = indent + 1
        var text = ""
        var whitespace = ""
        var leadingBlanks = false
        var trailingBreaks = 0
        var end = position
        while true {
            if atDocumentIndicator() || at() == "#" { break }
            var started = false
            while !Self.isBlankOrEnd(at()) {
                let c = at()
                if c == ":" {
                    let n = at(1)
                    if Self.isBlankOrEnd(n) || (flowLevel > 0 && Self.isFlowIndicator(n)) { break }
                } else if flowLevel > 0 && Self.isFlowIndicator(c) {
                    break
                }
                if !started {
                    if leadingBlanks {
                        text += trailingBreaks == 0 ? " " : String(repeating: "\n", count: trailingBreaks)
                    } else {
                        text += whitespace
                    }
                    whitespace = ""
                    leadingBlanks = false
                    trailingBreaks = 0
                    started = true
                }
                text.unicodeScalars.append(c)
                advance()
            }
            if !started { break }
            end = position
            guard Self.isBlank(at()) || Self.isBreak(at()) else { break }
            var spaces = 0
            var tab = false
            while Self.isBlank(at()) || Self.isBreak(at()) {
                if Self.isBlank(at()) {
                    if !leadingBlanks {
                        whitespace.unicodeScalars.append(at())
                    } else if at() == " " && !tab {
                        spaces += 1
                    } else {
                        tab = true
                    }
                } else {
                    if !leadingBlanks {
                        whitespace = ""
                        leadingBlanks = true
                    } else {
                        trailingBreaks += 1
                    }
                    spaces = 0
                    tab = false
                }
                advance()
            }
            if leadingBlanks && spaces < minIndent && (flowLevel == 0 || indent >= 0) { break }
        }
        restore(end)
        return YAMLToken(kind: .scalar(text, .plain), mark: startMark)
    }
}
