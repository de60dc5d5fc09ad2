import MeshIO
import MeshOrchestrator

/// `meshbed telemetry [show]` and `meshbed telemetry set [--access-log on|off] [--sampling PCT]
/// [--max-traces-per-second N]`: reads or changes a running topology's access log and tracing
/// live (as an Istio Telemetry resource change) and waits until every sidecar applied the
/// change. Exit 0 shown or applied, 1 not applied by every sidecar in time (or the control
/// plane did not answer), 2 bad input.
enum TelemetryCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "telemetry")
        let topology = try scanner.option("--topology")
        let stateDirectory = try scanner.option("--state-dir")
        let timeout = try scanner.durationOption("--timeout") ?? LiveRoutes.defaultTimeout
        let accessLog = try scanner.option("--access-log", parse: { ["on": true, "off": false][$0] }, expected: "on or off")
        let sampling = try scanner.percentOption("--sampling")
        let maxTraces = try scanner.intOption("--max-traces-per-second", range: 1...1_000_000)
        let words = scanner.positionals()
        try scanner.finish()
        let change = LiveRoutes.TelemetryChange(accessLog: accessLog, sampling: sampling, maxTracesPerSecond: maxTraces)
        switch words.first {
        case nil, "show":
            guard words.count <= 1 else { throw UsageError("telemetry show: unexpected '\(words[1])'") }
            guard change == LiveRoutes.TelemetryChange() else {
                throw UsageError("telemetry: --access-log, --sampling and --max-traces-per-second go with 'set'")
            }
        case "set":
            guard words.count == 1 else { throw UsageError("telemetry set: unexpected '\(words[1])' (the settings are flags)") }
            guard change != LiveRoutes.TelemetryChange() else {
                throw UsageError("telemetry set: nothing to change: give --access-log, --sampling or --max-traces-per-second")
            }
        case let word?:
            throw UsageError("telemetry: unknown subcommand '\(word)' (expected 'show' or 'set')")
        }
        if let topology { try NameRules.check(topology, flag: "--topology") }
        if timeout <= .zero { throw UsageError("--timeout: must be above 0") }
        let command = words.first == "set" ? "telemetry set" : "telemetry"
        let (_, control) = try RunningMesh.locate(topology, stateDirectory: stateDirectory, command: command, noMesh: "")
        do {
            if words.first == "set" {
                let (applied, telemetry) = try LiveRoutes.applyTelemetry(change, control: control, timeout: timeout)
                let sidecars = "\(applied.sidecars) sidecar\(applied.sidecars == 1 ? "" : "s")"
                Posix.writeAll(1, Array("\(telemetry.summary): version \(applied.version) applied by \(sidecars) in \(applied.milliseconds) ms\n".utf8))
            } else {
                Posix.writeAll(1, Array("\(try LiveRoutes.telemetry(control: control).summary)\n".utf8))
            }
            return 0
        } catch {
            CommandLineTool.printError("meshbed: \(command): \(error.message)")
            return error.exitCode
        }
    }
}
