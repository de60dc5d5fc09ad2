/// A route's mirror as snapshots carry it (`mirror:` of a topology route, SPEC §3): copy
/// `percent` of the route's requests to an instance of `version` of the same destination,
/// fire and forget (the copy's response is discarded, its failures never reach the caller).
///
/// JSON: `{"version": "v3", "percent": 10}`; `percent` may be left out (100).
public struct MirrorConfig: Codable, Sendable, Equatable {
    /// A version of the destination.
    public var version: String
    /// The share of the route's requests copied, 0–100.
    public var percent: Double

    public init(version: String, percent: Double = 100) {
        self.version = version
        self.percent = percent
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(String.self, forKey: .version)
        percent = try container.decodeIfPresent(Double.self, forKey: .percent) ?? 100
    }
}
