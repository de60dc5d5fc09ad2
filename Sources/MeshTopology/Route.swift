import MeshYAML

/// One route of a destination (`routes: {SERVICE: [route...]}`): which requests it takes,
/// how it splits them over the destination's versions and where it mirrors them. A
/// destination's routes are tried in order and the first match wins; a request no route
/// matches goes to every instance of the destination.
///
/// `split` is a mapping `{v1: 90, v2: 10}` or, as a meshbed extension, a list
/// `[{version: v1, weight: 90}, {version: v2, weight: 10}]`. Weights are integers 0–100
/// that sum to 100.
public struct Route: Sendable, Equatable {
    /// `match`; every request when absent.
    public let match: RouteMatch
    /// `split`: version name to weight (percent), in the order written; `nil` when absent,
    /// meaning every instance of the destination.
    public let split: OrderedMap<Int>?
    /// `mirror`: where copies of the route's requests go; `nil` (the default) for none.
    public let mirror: Mirror?

    public init(match: RouteMatch = .all, split: OrderedMap<Int>? = nil, mirror: Mirror? = nil) {
        self.match = match
        self.split = split
        self.mirror = mirror
    }

    static let keys = ["match", "split", "mirror"]

    /// Reads route number `index` (1-based) of `destination`.
    static func read(
        _ node: YAMLNode, destination: String, index: Int, references: ServiceReferences, log: inout DiagnosticLog
    ) -> Route? {
        let context = "of route \(index) for '\(destination)'"
        guard let fields = MappingReader(
            node, key: destination, context: "in route \(index) for '\(destination)'", allowed: keys, log: &log
        ) else {
            return nil
        }
        var valid = true
        var match = RouteMatch.all
        if let value = fields["match"] {
            if let read = RouteMatch.read(value, context: context, log: &log) { match = read } else { valid = false }
        }
        var split: OrderedMap<Int>?
        if let value = fields["split"], let key = fields.keyNode("split") {
            split = readSplit(value, key: key, destination: destination, references: references, log: &log)
            valid = valid && split != nil
        }
        var mirror: Mirror?
        if let value = fields["mirror"] {
            mirror = Mirror.read(value, destination: destination, context: context, references: references, log: &log)
            valid = valid && mirror != nil
        }
        return valid ? Route(match: match, split: split, mirror: mirror) : nil
    }

    /// Reads a `split` in either form; the weight sum is reported at the `split` key.
    static func readSplit(
        _ node: YAMLNode, key: YAMLNode, destination: String, references: ServiceReferences, log: inout DiagnosticLog
    ) -> OrderedMap<Int>? {
        // (version, its node, weight node, label for weight errors)
        var entries: [(version: String, versionNode: YAMLNode, weight: YAMLNode, label: String)] = []
        var valid = true
        if let items = node.items {
            for (offset, item) in items.enumerated() {
                let context = "in split entry \(offset + 1) for '\(destination)'"
                guard let fields = MappingReader(item, key: "split", context: context, allowed: ["version", "weight"], log: &log) else {
                    valid = false
                    continue
                }
                let version = fields.required("version", log: &log)
                let weight = fields.required("weight", log: &log)
                guard let version, let weight else {
                    valid = false
                    continue
                }
                guard let name = ValueReader.string(version, key: "version", expected: "a version name", log: &log) else {
                    valid = false
                    continue
                }
                entries.append((name, version, weight, "weight"))
            }
        } else if let pairs = ValueReader.entries(node, key: "split", expected: "a mapping of versions to weights", log: &log) {
            entries = pairs.map { ($0.key, $0.pair.key, $0.pair.value, $0.key) }
        } else {
            return nil
        }

        var split = OrderedMap<Int>()
        var weightsComplete = valid
        for entry in entries {
            if split.contains(entry.version) {
                log.error("split: version '\(entry.version)' is listed twice", at: entry.versionNode.mark)
                valid = false
                weightsComplete = false
                continue
            }
            if !references.checkVersion(entry.version, of: destination, key: "split", node: entry.versionNode, log: &log) {
                valid = false
            }
            guard let weight = ValueReader.integer(entry.weight, key: entry.label, in: 0...100, expected: "a weight 0–100", log: &log) else {
                valid = false
                weightsComplete = false
                continue
            }
            split.insert(weight, for: entry.version)
        }
        // The sum means something only when every weight was read.
        let sum = split.values.reduce(0, +)
        if weightsComplete, sum != 100 {
            log.error("split: weights sum to \(sum), expected 100", at: key.mark)
            return nil
        }
        guard valid else { return nil }
        return split
    }
}
