import MeshYAML

/// Which requests a route applies to (`match:`); an empty match applies to every request.
public struct RouteMatch: Sendable, Equatable {
    /// `headers`: each named header must equal the value exactly. Names are stored in lowercase
    /// (header names are case-insensitive; of two differing only in case the first is kept),
    /// in the order written.
    public let headers: OrderedMap<String>
    /// `pathPrefix`: the request path must start with it (starts with `/`).
    public let pathPrefix: String?

    /// Matches every request.
    public static let all = RouteMatch()

    public init(headers: OrderedMap<String> = [:], pathPrefix: String? = nil) {
        self.headers = headers.lowercasingKeys()
        self.pathPrefix = pathPrefix
    }

    /// Whether the match has no conditions.
    public var matchesEverything: Bool { headers.isEmpty && pathPrefix == nil }

    /// Whether a request with `path` and headers looked up by (lowercase) name by `header` matches.
    public func matches(path: String, header: (String) -> String?) -> Bool {
        if let pathPrefix, !path.hasPrefix(pathPrefix) { return false }
        return headers.allSatisfy { header($0.key) == $0.value }
    }

    static let keys = ["headers", "pathPrefix"]

    /// Whether `name` is an HTTP field name (an RFC 9110 token).
    static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Reads a header-match mapping (`headers:` of a route match or of a fault), lowercasing
    /// names; two names that differ only in case are a duplicate.
    static func readHeaders(_ node: YAMLNode, log: inout DiagnosticLog) -> OrderedMap<String>? {
        var lowered: Set<String> = []
        let map = ValueReader.stringMap(node, key: "headers", log: &log) { name in
            if !isHeaderName(name) { return "headers: '\(name)' is not a valid header name" }
            if !lowered.insert(name.lowercased()).inserted { return "headers: '\(name)' is listed twice" }
            return nil
        }
        return map?.lowercasingKeys()
    }

    /// Reads `match:` of a route (`context` names the route).
    static func read(_ node: YAMLNode, context: String, log: inout DiagnosticLog) -> RouteMatch? {
        guard let fields = MappingReader(node, key: "match", context: "in match \(context)", allowed: keys, log: &log) else {
            return nil
        }
        var valid = true
        var headers = OrderedMap<String>()
        if let value = fields["headers"] {
            if let map = readHeaders(value, log: &log) { headers = map } else { valid = false }
        }
        var pathPrefix: String?
        if let value = fields["pathPrefix"] {
            let expected = "a path starting with '/'"
            if let text = ValueReader.string(value, key: "pathPrefix", expected: expected, log: &log) {
                if text.hasPrefix("/") {
                    pathPrefix = text
                } else {
                    ValueReader.fail("pathPrefix", expected: expected, node: value, log: &log)
                    valid = false
                }
            } else {
                valid = false
            }
        }
        return valid ? RouteMatch(headers: headers, pathPrefix: pathPrefix) : nil
    }
}
