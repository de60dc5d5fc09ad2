/// What `HTTPResponseParser.next(_:)` found. Body ranges index into the `input` buffer passed to that call.
public enum HTTPResponseParserEvent: Sendable {
    case head(HTTPResponseHead)
    case body(Range<Int>)
    case end
    case error(HTTPParseError)
}
