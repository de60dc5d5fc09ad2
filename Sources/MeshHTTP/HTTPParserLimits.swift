/// Size limits a parser enforces before it has seen a whole head, so a peer cannot make it buffer forever.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Longest request line (or status line), excluding its CRLF. Longer request lines are answered 414.
    public var maxRequestLine: Int = 8 * 1024
    /// Largest field section (all field lines and the final empty line, not the start line); also
    /// bounds a chunked trailer section. Larger ones are answered 431.
    public var maxHeaderBytes: Int = 60 * 1024
    /// Most field lines in a head (or trailer section). More are answered 431.
    public var maxHeaderCount: Int = 100
    /// Longest chunk extension (the bytes between a chunk size and its CRLF). Longer ones are answered 400.
    public var maxChunkExtension: Int = 4 * 1024
    /// Most empty lines (CRLF) ignored before a start line (RFC 9112 §2.2).
    public var maxLeadingEmptyLines: Int = 4

    /// Limits with the given values (defaults as above).
    public init(
        maxRequestLine: Int = 8 * 1024,
        maxHeaderBytes: Int = 60 * 1024,
        maxHeaderCount: Int = 100,
        maxChunkExtension: Int = 4 * 1024,
        maxLeadingEmptyLines: Int = 4
    ) {
        self.maxRequestLine = maxRequestLine
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxChunkExtension = maxChunkExtension
        self.maxLeadingEmptyLines = maxLeadingEmptyLines
    }
}
