import MeshYAML

/// Who may call one destination (`authorization: {SERVICE: {allow: [...]}}`): a destination
/// listed under `authorization` denies every caller no entry of `allow` matches. An entry is a
/// caller's name (any method, any path) or `{from: NAME, methods: [GET], paths: [/exact,
/// /prefix*]}` (Istio's AuthorizationPolicy `from.principals` and `to.operation`). `ingress`
/// names requests that enter through the ingress gateway. Callers are identified by their
/// mTLS certificate, so a topology with `mesh.mtls: disabled` may not have `authorization`.
public struct AuthorizationRule: Sendable, Equatable {
    /// One allowed caller, optionally only for some methods and paths.
    public struct Allow: Sendable, Equatable {
        /// The calling service (or `ingress`).
        public let from: String
        /// Methods allowed (upper case); nil: any.
        public let methods: [String]?
        /// Paths allowed: exact, or a prefix when it ends in `*`; nil: any.
        public let paths: [String]?

        public init(from: String, methods: [String]? = nil, paths: [String]? = nil) {
            self.from = from
            self.methods = methods
            self.paths = paths
        }

        /// Whether a request of `method` for `path` (without its query) from `caller` matches.
        public func matches(caller: String, method: String, path: String) -> Bool {
            guard caller == from else { return false }
            if let methods, !methods.contains(method) { return false }
            if let paths {
                return paths.contains { pattern in
                    pattern.hasSuffix("*") ? path.hasPrefix(pattern.dropLast()) : path == pattern
                }
            }
            return true
        }
    }

    /// `allow`, in the order written; empty denies all.
    public let rules: [Allow]

    /// The callers named, in order, each once.
    public var allow: [String] {
        var seen: Set<String> = []
        return rules.map(\.from).filter { seen.insert($0).inserted }
    }

    /// A rule allowing `allow`'s callers everything.
    public init(allow: [String]) {
        self.rules = allow.map { Allow(from: $0) }
    }

    public init(rules: [Allow]) {
        self.rules = rules
    }

    /// Whether `caller` (a service name, or `ingress`) may call at all.
    public func allows(_ caller: String) -> Bool { rules.contains { $0.from == caller } }

    /// Whether `caller` may send `method` to `path`.
    public func allows(_ caller: String, method: String, path: String) -> Bool {
        rules.contains { $0.matches(caller: caller, method: method, path: path) }
    }

    /// Reads the rule for `destination`; `allow` is required.
    static func read(_ node: YAMLNode, destination: String, references: ServiceReferences, log: inout DiagnosticLog) -> AuthorizationRule? {
        let context = "in authorization for '\(destination)'"
        guard let fields = MappingReader(node, key: destination, context: context, allowed: ["allow"], log: &log),
              let value = fields.required("allow", log: &log),
              let items = ValueReader.list(value, key: "allow", expected: "a list of service names or {from, methods, paths}", log: &log)
        else { return nil }
        var valid = true
        var rules: [Allow] = []
        var named: Set<String> = []
        for item in items {
            if item.pairs != nil {
                guard let rule = readEntry(item, context: context, references: references, log: &log) else {
                    valid = false
                    continue
                }
                rules.append(rule)
                continue
            }
            guard let name = item.scalarText, !item.isNull else {
                ValueReader.fail("allow", expected: "a service name or {from, methods, paths}", node: item, log: &log)
                valid = false
                continue
            }
            guard named.insert(name).inserted else {
                log.error("allow: '\(name)' is listed twice", at: item.mark)
                valid = false
                continue
            }
            if references.checkService(name, key: "allow", node: item, allowIngress: true, log: &log) {
                rules.append(Allow(from: name))
            } else {
                valid = false
            }
        }
        return valid ? AuthorizationRule(rules: rules) : nil
    }

    /// `{from: NAME, methods: [...], paths: [...]}`.
    private static func readEntry(_ node: YAMLNode, context: String, references: ServiceReferences, log: inout DiagnosticLog) -> Allow? {
        guard let fields = MappingReader(node, key: "allow", context: context, allowed: ["from", "methods", "paths"], log: &log),
              let fromNode = fields.required("from", log: &log),
              let from = ValueReader.string(fromNode, key: "from", expected: "a service name", log: &log)
        else { return nil }
        var valid = references.checkService(from, key: "from", node: fromNode, allowIngress: true, log: &log)
        var methods: [String]?
        if let node = fields["methods"] {
            if let list = ValueReader.nameList(node, key: "methods", what: "method", log: &log) {
                for entry in list where entry.name.isEmpty || !entry.name.utf8.allSatisfy({ (0x41...0x5A).contains($0) }) {
                    ValueReader.fail("methods", expected: "an HTTP method in upper case, like GET", node: entry.node, log: &log)
                    valid = false
                }
                methods = list.map(\.name)
            } else {
                valid = false
            }
        }
        var paths: [String]?
        if let node = fields["paths"] {
            if let list = ValueReader.nameList(node, key: "paths", what: "path", log: &log) {
                for entry in list {
                    let star = entry.name.firstIndex(of: "*")
                    if !entry.name.hasPrefix("/") || (star != nil && star != entry.name.index(before: entry.name.endIndex)) {
                        ValueReader.fail("paths", expected: "a path starting with '/', exact or ending in '*' for a prefix", node: entry.node, log: &log)
                        valid = false
                    }
                }
                paths = list.map(\.name)
            } else {
                valid = false
            }
        }
        return valid ? Allow(from: from, methods: methods, paths: paths) : nil
    }
}
