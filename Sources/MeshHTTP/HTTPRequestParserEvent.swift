/// What `HTTPRequestParser.next(_:)` found. Body ranges index into the `input` buffer passed to that call.
public enum HTTPRequestParserEvent: Sendable {
    case head(HTTPRequestHead)
    case body(Range<Int>)
    case end
    case error(HTTPParseError)
}
