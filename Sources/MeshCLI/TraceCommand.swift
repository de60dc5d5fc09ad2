import FoundationEssentials
import MeshCore
import MeshIO
import MeshOrchestrator
import MeshTrace

/// `meshbed trace [ID] [--otlp FILE] [--json] [--limit N] [--topology NAME] [--state-dir DIR]`:
/// the traces a running topology's control plane keeps (the spans its sidecars send).
/// Without ID, the most recent traces, newest first, one line each (the ID to copy first);
/// with ID (or `latest`, the newest), that trace as a waterfall (`TraceWaterfall`). `--json`
/// prints the control plane's JSON instead; `--otlp FILE` writes OTLP/JSON (the trace, or
/// every trace kept without ID) to FILE (`-`: standard output).
/// Exit 0, 1 the control plane did not answer, 2 bad input, 3 no such trace or no such
/// running topology.
enum TraceCommand {
    /// Exit status when there is nothing to show: no such trace, no running topology.
    static let notFoundExitCode: Int32 = 3

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "trace")
        let otlp = try scanner.option("--otlp")
        let json = scanner.flag("--json")
        let limit = try scanner.intOption("--limit", range: 1...1_000_000)
        let topology = try scanner.option("--topology")
        let stateDirectory = try scanner.option("--state-dir")
        let words = scanner.positionals()
        try scanner.finish()
        if let topology { try NameRules.check(topology, flag: "--topology") }
        guard words.count <= 1 else { throw UsageError("trace: expected at most one trace ID, got \(words.count)") }
        let id = words.first
        if let id, id != "latest", let problem = Span.idProblem(id, digits: 32) {
            throw UsageError("trace: ID \(problem) (a W3C trace id; 'meshbed trace' lists them)")
        }
        if otlp != nil && json { throw UsageError("--otlp and --json exclude each other") }
        if otlp?.isEmpty == true { throw UsageError("--otlp: expected a FILE (or - for standard output)") }
        if id != nil && limit != nil { throw UsageError("--limit goes with the list (no ID)") }

        let control: String
        switch try locate(topology, stateDirectory: stateDirectory) {
        case .success(let address): control = address
        case .failure(let error):
            CommandLineTool.printError(error.description)
            return notFoundExitCode
        }
        do {
            if let id {
                let spans = try trace(id, control: control)
                if let otlp { return try write(OTLPJSON.encode(spans) + [10], to: otlp, what: "\(spans.count) spans of trace \(spans[0].traceId)") }
                let text = json ? String(decoding: TraceAPI.encode(SpanBatch(spans: spans)), as: UTF8.self) + "\n" : TraceWaterfall.render(spans)
                Posix.writeAll(1, Array(text.utf8))
                return 0
            }
            if let otlp {
                // Every trace kept (or the --limit most recent): their spans in one request body.
                let summaries = try TraceAPI.traces(limit: limit ?? 1_000_000, control: control)
                var spans: [Span] = []
                for summary in summaries.reversed() {
                    // A trace evicted between the list and now is left out.
                    if let trace = try? TraceAPI.trace(summary.traceId, control: control) { spans += trace }
                }
                return try write(OTLPJSON.encode(spans) + [10], to: otlp, what: "\(spans.count) spans of \(summaries.count) traces")
            }
            let summaries = try TraceAPI.traces(limit: limit ?? 20, control: control)
            if json {
                Posix.writeAll(1, TraceAPI.encode(["traces": summaries]) + [10])
            } else {
                Posix.writeAll(1, Array(list(summaries).utf8))
            }
            return 0
        } catch {
            CommandLineTool.printError("meshbed: trace: \(error.message)")
            return error.exitCode
        }
    }

    /// The spans of trace `id` (`latest`: the newest trace's).
    private static func trace(_ id: String, control: String) throws(TraceAPI.Failure) -> [Span] {
        guard id == "latest" else { return try TraceAPI.trace(id, control: control) }
        guard let newest = try TraceAPI.traces(limit: 1, control: control).first else {
            throw TraceAPI.Failure(exitCode: notFoundExitCode, "no traces yet (spans arrive as the sidecars finish requests)")
        }
        return try TraceAPI.trace(newest.traceId, control: control)
    }

    /// The control plane of the running topology, or why there is none to ask (exit 3);
    /// throws when the question itself is wrong (exit 2).
    private static func locate(_ topology: String?, stateDirectory: String?) throws(UsageError) -> Result<String, UsageError> {
        let state: MeshState
        do {
            state = try RunningMesh.read(topology, stateDirectory: stateDirectory)
        } catch {
            // Several topologies and no --topology: a question for the user, not a missing one.
            if topology == nil, StateDirectory(stateDirectory ?? StateDirectory.defaultPath).names().count > 1 {
                throw UsageError("trace: \(error)")
            }
            return .failure(UsageError("trace: \(error)"))
        }
        guard TopologyLauncher.isSupervising(state) else {
            return .failure(UsageError("trace: topology '\(state.name)' is not running (start it with 'meshbed up')"))
        }
        guard let control = state.control else {
            throw UsageError("trace: topology '\(state.name)' runs without the mesh (up --no-mesh): no sidecar records spans")
        }
        return .success(control)
    }

    /// One line per trace, aligned, newest first; a sentence when there is none.
    static func list(_ summaries: [TraceSummary]) -> String {
        guard !summaries.isEmpty else { return "no traces yet (spans arrive as the sidecars finish requests)\n" }
        let rows = [["TRACE", "ROOT", "REQUEST", "STATUS", "SPANS", "DURATION"]] + summaries.map { summary in
            [summary.traceId, "\(summary.service) → \(summary.peer)", "\(summary.method) \(summary.path)", String(summary.status),
             String(summary.spans), TraceWaterfall.milliseconds(summary.durationNanos) + " ms"]
        }.map { $0.map { DisplayText.escaped($0) } }
        let widths = (0..<6).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, text in
                column == 5 ? text : text + String(repeating: " ", count: widths[column] - text.count + 2)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }

    /// Writes `bytes` to `path` (`-`: standard output; else a line saying what was written).
    private static func write(_ bytes: [UInt8], to path: String, what: String) throws(TraceAPI.Failure) -> Int32 {
        if path == "-" {
            Posix.writeAll(1, bytes)
            return 0
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            throw TraceAPI.Failure(exitCode: 2, "--otlp \(path): cannot write the file")
        }
        Posix.writeAll(1, Array("wrote \(what) to \(path) (OTLP/JSON)\n".utf8))
        return 0
    }
}
