import MeshYAML

/// One version (subset) of a service: its instances and how its echo app behaves.
public struct ServiceVersion: Sendable, Equatable {
    /// The version name (`v1`), `[a-z0-9-]+`.
    public let name: String
    /// `replicas`: how many instances, 1–100, default 1.
    public let replicas: Int
    /// `behavior`: echo app error rate and latency (always `.none` for a service with an `app`).
    public let behavior: Behavior
    /// The services this version's echo app calls per request: its own `calls` when it has
    /// one (a meshbed extension to SPEC §3), otherwise the service's `calls`.
    public let calls: [String]

    public init(name: String, replicas: Int = 1, behavior: Behavior = .none, calls: [String] = []) {
        self.name = name
        self.replicas = replicas
        self.behavior = behavior
        self.calls = calls
    }

    /// The most instances one version may have.
    public static let maximumReplicas = 100
    /// The version of a service that declares no `versions`.
    public static let implicitName = "v1"
    /// What responses without an `x-meshbed-version` are called in reports and `split`
    /// expectations (MeshLoad's `LoadResult.noVersion`); no version may have this name.
    public static let noVersion = "no-version"

    static let keys = ["replicas", "behavior", "calls"]

    /// Reads `replicas` (1–100).
    static func readReplicas(_ node: YAMLNode, log: inout DiagnosticLog) -> Int? {
        guard let value = ValueReader.integer(node, key: "replicas", in: 1...Int.max, expected: "an integer ≥ 1", log: &log) else {
            return nil
        }
        guard value <= maximumReplicas else {
            ValueReader.fail("replicas", expected: "at most \(maximumReplicas)", node: node, log: &log)
            return nil
        }
        return value
    }
}
