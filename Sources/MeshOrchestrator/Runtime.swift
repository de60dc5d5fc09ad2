import MeshContainer
import MeshNetwork

/// Where a topology's instances run (`--runtime`, SPEC §2): local processes on this
/// machine's loopback (the default), each instance in a network namespace of its own on a
/// bridge (`netns`), or each instance in a pod of a container engine on a bridge network
/// (`container`, with the engine `--engine` names, or the first that answers).
public enum Runtime: Sendable, Equatable {
    case process
    case netns
    case container(ContainerEngine.Kind?)

    /// `process`, `netns` or `container`.
    public var name: String {
        switch self {
        case .process: "process"
        case .netns: "netns"
        case .container: "container"
        }
    }

    /// Whether instances have addresses of their own on a bridge (netns and containers).
    public var isolated: Bool { self != .process }

    /// The runtime `--runtime NAME [--engine ENGINE]` asks for; the error is the one line a
    /// user sees. `--engine` goes only with `container`.
    public static func parse(_ name: String, engine: String?) throws(OrchestratorError) -> Runtime {
        let kind: ContainerEngine.Kind?
        if let engine {
            guard let parsed = ContainerEngine.Kind(rawValue: engine) else {
                throw .badInput("--engine: expected podman or docker, got '\(engine)'")
            }
            kind = parsed
        } else {
            kind = nil
        }
        switch name {
        case "process", "netns":
            if engine != nil { throw .badInput("--engine chooses the container engine: it goes with --runtime container") }
            return name == "process" ? .process : .netns
        case "container": return .container(kind)
        default: throw .badInput("--runtime: expected process, netns or container, got '\(name)'")
        }
    }

    /// Why this machine cannot run this runtime, or nil when it can (the engine itself is
    /// asked when the topology starts).
    public var unavailableReason: String? {
        switch self {
        case .process: nil
        case .netns: NetnsNetwork.unavailableReason().map { "--runtime netns: \($0)" }
        case .container: ContainerNetwork.unavailableReason().map { "--runtime container: \($0)" }
        }
    }

    /// The flags that ask for this runtime, as `up` reads them.
    public var arguments: [String] {
        switch self {
        case .process: []
        case .netns: ["--runtime", "netns"]
        case .container(let kind): ["--runtime", "container"] + (kind.map { ["--engine", $0.rawValue] } ?? [])
        }
    }
}
