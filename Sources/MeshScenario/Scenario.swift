import FoundationEssentials
import MeshOrchestrator
import MeshTopology
import MeshYAML

/// A scenario file (SPEC §4), parsed once and validated together with its topology: the
/// steps to run and what to expect after each. Only a valid file becomes a `Scenario`;
/// every mistake (in it or in its topology) becomes a `Diagnostic`.
public struct Scenario: Sendable, Equatable {
    /// `name`, `[a-z0-9-]+`.
    public var name: String
    /// The scenario file, as given.
    public var file: String
    /// `topology:` resolved against the scenario file's folder.
    public var topologyFile: String
    /// The topology, loaded and valid.
    public var topology: Topology
    /// `seed:`: every random choice of the run derives from it (nil: from the clock).
    public var seed: UInt64?
    /// `runtimes:`: the runtimes the scenario means something on (`process`, `netns`,
    /// `container`); on another, `run` and `test` skip it and say why. nil: every one.
    public var runtimes: [String]?
    public var steps: [ScenarioStep]

    /// Every runtime's name, in the order `runtimes:` lists them in messages.
    public static let runtimeNames = ["process", "netns", "container"]

    /// The value of `kind:` a scenario file has.
    public static let kind = "Scenario"

    public init(name: String, file: String, topologyFile: String, topology: Topology, seed: UInt64?, runtimes: [String]? = nil,
                steps: [ScenarioStep]) {
        self.name = name
        self.runtimes = runtimes
        self.file = file
        self.topologyFile = topologyFile
        self.topology = topology
        self.seed = seed
        self.steps = steps
    }

    /// Reads the scenario file at `path` and the topology it names.
    public static func load(path: String) -> Result<Scenario, TopologyErrors> {
        switch read(path) {
        case .failure(let errors): return .failure(errors)
        case .success(let text): return load(text: text, file: path)
        }
    }

    /// Reads a scenario's text; `file` names it in messages and anchors `topology:`.
    /// `loadTopology` reads the topology file (tests substitute their own).
    public static func load(
        text: String, file: String,
        loadTopology: (String) -> Result<Topology, TopologyErrors> = { TopologyLoader.load($0) }
    ) -> Result<Scenario, TopologyErrors> {
        let documents: [YAMLNode]
        do throws(YAMLError) {
            documents = try YAMLParser.parse(text)
        } catch {
            return .failure(TopologyErrors([Diagnostic(file: file, mark: error.mark, message: error.message)]))
        }
        guard let document = documents.first, !(documents.count == 1 && document.isNull) else {
            return .failure(TopologyErrors([Diagnostic(file: file, line: 1, column: 1, message: "expected a scenario, but the file is empty")]))
        }
        guard documents.count == 1 else {
            let message = "expected one YAML document, found \(documents.count)"
            return .failure(TopologyErrors([Diagnostic(file: file, mark: documents[1].mark, message: message)]))
        }
        var log = DiagnosticLog(file: file)
        var extra: [Diagnostic] = []
        let scenario = ScenarioValidator.read(document, file: file, log: &log, topologyErrors: &extra, loadTopology: loadTopology)
        if let scenario, log.isEmpty, extra.isEmpty { return .success(scenario) }
        // The scenario's own mistakes first, then its topology's (each file's sorted).
        var errors = TopologyErrors(log.diagnostics)
        errors.diagnostics += extra
        return .failure(errors)
    }

    /// Whether the YAML text is a scenario (`kind: Scenario` at the top), for `validate` and `test`.
    public static func isScenario(text: String) -> Bool {
        guard let documents = try? YAMLParser.parse(text), let document = documents.first else { return false }
        return document.value(for: "kind")?.scalarText == kind
    }

    /// `topology:` as written, resolved against the folder of `file`.
    public static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        let folder = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if folder.isEmpty { return file.hasPrefix("/") ? "/" + path : path }
        return folder + "/" + path
    }

    /// The text of `path`, or the diagnostic saying why it cannot be read.
    static func read(_ path: String) -> Result<String, TopologyErrors> {
        TopologyLoader.readText(path)
    }
}
