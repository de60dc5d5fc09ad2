/// One entry of a destination's authorization: a caller, optionally limited to some methods
/// and paths (exact, or a prefix when it ends in `*`).
public struct AllowConfig: Codable, Sendable, Equatable {
    /// The calling service, or `ingress`.
    public var from: String
    /// Upper-case methods; nil: any.
    public var methods: [String]?
    /// Paths; nil: any.
    public var paths: [String]?

    public init(from: String, methods: [String]? = nil, paths: [String]? = nil) {
        self.from = from
        self.methods = methods
        self.paths = paths
    }
}
