import MeshCore

/// Something that happened during a span at a point in time (an attempt that failed and
/// was retried, an ejection), as a name.
public struct SpanEvent: Codable, Sendable, Equatable {
    /// When, in nanoseconds since the Unix epoch.
    public var timeUnixNano: UInt64
    /// What happened, as one line (`attempt 1 to ratings-v1-0: 503, retried (5xx)`).
    public var name: String

    public init(timeUnixNano: UInt64, name: String) {
        self.timeUnixNano = timeUnixNano
        self.name = name
    }

    private enum CodingKeys: String, CodingKey {
        case timeUnixNano, name
    }

    /// Checks the time as `Span` does its own (signed on the wire, not negative).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let time = try container.decode(Int64.self, forKey: .timeUnixNano)
        guard time >= 0 else {
            throw SpanError(CodingPathText.text(decoder.codingPath + [CodingKeys.timeUnixNano]) + ": expected nanoseconds since the epoch (>= 0), got \(time)")
        }
        timeUnixNano = UInt64(time)
        name = try container.decode(String.self, forKey: .name)
    }
}
