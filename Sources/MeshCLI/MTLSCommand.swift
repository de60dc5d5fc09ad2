import MeshConfig
import MeshIO
import MeshOrchestrator

/// `meshbed mtls set strict|permissive`: moves a running topology's mutual TLS mode live
/// (as an Istio PeerAuthentication change) and waits until every sidecar applied it. Exit 0
/// applied, 1 not applied by every sidecar in time (or the control plane did not answer),
/// 2 bad input (a topology with mTLS disabled included).
enum MTLSCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "mtls")
        let topology = try scanner.option("--topology")
        let stateDirectory = try scanner.option("--state-dir")
        let timeout = try scanner.durationOption("--timeout") ?? LiveRoutes.defaultTimeout
        let words = scanner.positionals()
        try scanner.finish()
        guard words.first == "set" else {
            throw UsageError(words.isEmpty ? "mtls: expected 'set strict' or 'set permissive'" : "mtls: unknown subcommand '\(words[0])' (expected 'set MODE')")
        }
        guard words.count == 2, let mode = MTLSConfig.Mode(rawValue: words[1]) else {
            throw UsageError("mtls set: expected one MODE, strict or permissive\(words.count > 1 ? ", got '\(words.dropFirst().joined(separator: " "))'" : "")")
        }
        if let topology { try NameRules.check(topology, flag: "--topology") }
        if timeout <= .zero { throw UsageError("--timeout: must be above 0") }
        let (_, control) = try RunningMesh.locate(topology, stateDirectory: stateDirectory, command: "mtls set", noMesh: "")
        do {
            let applied = try LiveRoutes.applyMTLS(mode, control: control, timeout: timeout)
            Posix.writeAll(1, Array("mtls \(mode.rawValue): version \(applied.version) applied by \(applied.sidecars) sidecars in \(applied.milliseconds) ms\n".utf8))
            return 0
        } catch {
            CommandLineTool.printError("meshbed: mtls set \(mode.rawValue): \(error.message)")
            return error.exitCode
        }
    }
}
