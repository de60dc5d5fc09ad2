import FoundationEssentials
import MeshCore
import MeshNetwork
import MeshOrchestrator

/// `meshbed up FILE [--detach] [--runtime process|netns|container [--engine podman|docker]] [--state-dir DIR] [--seed N] [--prometheus] [--otlp-endpoint URL]`: launches a
/// topology. Hidden flags: `--no-mesh` (only the apps), `--supervise` (this process is the
/// supervisor `--detach` started), `--ready-timeout D` (each stage's readiness deadline).
enum UpCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "up")
        let detach = scanner.flag("--detach")
        let runtime = try RuntimeOption.scan(&scanner)
        let stateDirectory = try scanner.option("--state-dir")
        let noMesh = scanner.flag("--no-mesh")
        let supervise = scanner.flag("--supervise")
        let seed = try scanner.option("--seed", parse: { UInt64($0) }, expected: "an unsigned integer")
        let prometheus = scanner.flag("--prometheus")
        let otlpEndpoint = try scanner.option("--otlp-endpoint")
        let readyTimeout = try scanner.durationOption("--ready-timeout") ?? UpOptions.defaultReadyTimeout
        let files = scanner.positionals()
        try scanner.finish()
        guard let file = files.first else { throw UsageError("up: missing the topology FILE (meshbed up FILE [--detach])") }
        guard files.count == 1 else { throw UsageError("up: expected one topology FILE, got \(files.count)") }
        if stateDirectory?.isEmpty == true { throw UsageError("--state-dir: expected a directory") }
        guard readyTimeout > .zero else { throw UsageError("--ready-timeout: expected a duration above 0, got '\(readyTimeout.meshbedDescription)'") }
        if detach && supervise { throw UsageError("--detach and --supervise exclude each other") }
        var options = UpOptions(file: file, detach: detach, stateDirectory: stateDirectory, mesh: !noMesh, supervise: supervise,
                                readyTimeout: readyTimeout)
        options.seed = seed
        options.runtime = runtime
        if prometheus {
            if noMesh { throw UsageError("--prometheus scrapes the sidecars' admin ports: it needs the mesh (not --no-mesh)") }
            guard let executable = Self.onPath("prometheus") else {
                throw UsageError("--prometheus: no 'prometheus' executable on PATH (Debian: apt-get install prometheus)")
            }
            options.prometheus = executable
        }
        if let otlpEndpoint {
            if noMesh { throw UsageError("--otlp-endpoint exports the spans the sidecars send the control plane: it needs the mesh (not --no-mesh)") }
            let endpoint = try ControlCommand.otlpEndpoint(otlpEndpoint)
            if case .container = runtime, ["127.", "localhost", "[::1]"].contains(where: endpoint.authority.hasPrefix) {
                throw UsageError("--otlp-endpoint \(endpoint.authority): under --runtime container the control plane runs in a container, whose loopback is its own; give an address of this machine it can reach (not supported yet: loopback)")
            }
            options.otlpEndpoint = endpoint.description
        }
        return TopologyLauncher.up(options)
    }

    /// The first executable file `name` in `$PATH`'s directories.
    static func onPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
