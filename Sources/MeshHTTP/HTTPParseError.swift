/// Why a message was rejected, with the status a server answers.
///
/// Request errors carry 400, 414, 431, 501 or 505. Response errors (from `HTTPResponseParser`)
/// always carry 502: a proxy answers a malformed upstream response with Bad Gateway.
public struct HTTPParseError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The rule the message broke.
    public enum Kind: Sendable, Equatable, Hashable {
        // Start line.
        /// Request line is not `method SP request-target SP HTTP-version`, or too many empty lines before it.
        case invalidRequestLine
        /// Method is empty or not a token.
        case invalidMethod
        /// Request-target is empty, has whitespace, controls, non-ASCII or '#', or has the wrong form for the method.
        case invalidTarget
        /// Version is not `HTTP/d.d`.
        case invalidVersion
        /// Version is `HTTP/d.d` but not 1.0 or 1.1 (505).
        case unsupportedVersion
        /// Request line longer than `maxRequestLine` (414).
        case requestLineTooLong
        /// Status line malformed (responses).
        case invalidStatusLine
        /// Status line longer than `maxRequestLine` (responses).
        case statusLineTooLong

        // Line terminators.
        /// A CR not followed by LF.
        case bareCR
        /// A LF not preceded by CR.
        case bareLF

        // Field lines.
        /// A field line starting with whitespace (obsolete line folding).
        case obsFold
        /// Whitespace between a field name and its colon.
        case whitespaceBeforeColon
        /// A field line without a colon.
        case missingColon
        /// A field name that is empty or not a token.
        case invalidHeaderName
        /// A field value with a control byte (NUL, DEL, ...).
        case invalidHeaderValue
        /// Field section larger than `maxHeaderBytes` (431).
        case headersTooLarge
        /// More than `maxHeaderCount` field lines (431).
        case tooManyHeaders

        // Host.
        /// HTTP/1.1 request without Host.
        case missingHost
        /// More than one Host field.
        case duplicateHost
        /// Host value with bytes that cannot appear in a host.
        case invalidHost

        // Framing.
        /// Content-Length is not 1*DIGIT (or a list of identical ones), or is 2^62 or more.
        case invalidContentLength
        /// Content-Length fields or list members with different values.
        case conflictingContentLength
        /// Both Transfer-Encoding and Content-Length.
        case conflictingFraming
        /// Transfer-Encoding in an HTTP/1.0 message.
        case transferEncodingInHTTP10
        /// Transfer-Encoding empty or with a member that is not a token (or `chunked` with parameters).
        case invalidTransferEncoding
        /// `chunked` present but not the final coding.
        case chunkedNotFinal
        /// `chunked` applied more than once.
        case duplicateChunked
        /// A transfer coding other than a single `chunked` (501).
        case unknownTransferCoding

        // Chunked body.
        /// Chunk size missing or not hex.
        case invalidChunkSize
        /// Chunk size with more than 16 hex digits or 2^62 or more.
        case chunkSizeOverflow
        /// Chunk extension with control bytes or without ';'.
        case invalidChunkExtension
        /// Chunk extension longer than `maxChunkExtension`.
        case chunkExtensionTooLong
        /// Chunk data not followed by CRLF.
        case chunkDataMismatch

        // Connection.
        /// The peer closed in the middle of a message.
        case incompleteMessage
    }

    /// The rule the message broke.
    public var kind: Kind
    /// The status a server answers with.
    public var status: Int

    /// An error with an explicit status.
    public init(kind: Kind, status: Int) {
        self.kind = kind
        self.status = status
    }

    /// An error in a request, with the status RFC 9112 asks a server to answer.
    public init(_ kind: Kind) {
        self.kind = kind
        self.status = HTTPParseError.requestStatus(kind)
    }

    /// An error in a response: status 502.
    static func response(_ kind: Kind) -> HTTPParseError {
        HTTPParseError(kind: kind, status: 502)
    }

    /// The status a server answers to a request that broke the rule `kind`.
    public static func requestStatus(_ kind: Kind) -> Int {
        switch kind {
        case .requestLineTooLong: return 414
        case .headersTooLarge, .tooManyHeaders: return 431
        case .unknownTransferCoding: return 501
        case .unsupportedVersion: return 505
        default: return 400
        }
    }

    /// `HTTPParseError(kind, status)`.
    public var description: String { "HTTPParseError(\(kind), \(status))" }
}
