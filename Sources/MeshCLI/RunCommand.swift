import FoundationEssentials
import MeshCore
import MeshIO
import MeshNetwork
import MeshOrchestrator
import MeshScenario

/// `meshbed run FILE... [--junit F] [--json F] [--state-dir DIR] [--prometheus]`: runs scenario files one
/// after another, each with its own topology in its own state directory, and reports them
/// together. Exit 0 all expectations met, 1 some failed, 2 bad input, 3 infrastructure.
///
/// SIGINT, SIGTERM or SIGHUP stops the run where it is: the topology is torn down, the
/// partial report printed and written (the interrupted step as an error), and the exit
/// status is 128 + the signal (130, 143, 129).
enum RunCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "run")
        let options = try ScenarioOptions.scan(&scanner)
        let files = scanner.positionals()
        try scanner.finish()
        guard !files.isEmpty else { throw UsageError("run: missing FILE (meshbed run FILE... [--junit F] [--json F])") }
        return execute(files, options)
    }

    /// What `run` and `test` share: the report files, the state directory, the readiness deadline.
    struct ScenarioOptions {
        var junit: String?
        var json: String?
        var stateDirectory: String?
        var readyTimeout: Duration
        /// `--prometheus`: the Prometheus executable each scenario's topology starts with
        /// (for `promql` expectations).
        var prometheus: String?
        /// `--runtime`: where each scenario's topology runs.
        var runtime: Runtime = .process

        static func scan(_ scanner: inout ArgumentScanner) throws(UsageError) -> ScenarioOptions {
            var options = ScenarioOptions(
                junit: try scanner.option("--junit"), json: try scanner.option("--json"), stateDirectory: try scanner.option("--state-dir"),
                readyTimeout: try scanner.durationOption("--ready-timeout") ?? UpOptions.defaultReadyTimeout)
            if scanner.flag("--prometheus") {
                guard let executable = UpCommand.onPath("prometheus") else {
                    throw UsageError("--prometheus: no 'prometheus' executable on PATH (Debian: apt-get install prometheus)")
                }
                options.prometheus = executable
            }
            options.runtime = try RuntimeOption.scan(&scanner)
            for (flag, value) in [("--junit", options.junit), ("--json", options.json), ("--state-dir", options.stateDirectory)] where value?.isEmpty == true {
                throw UsageError("\(flag): expected a path")
            }
            guard options.readyTimeout > .zero else { throw UsageError("--ready-timeout: expected a duration above 0") }
            return options
        }
    }

    /// Validates every file first (any mistake: exit 2, nothing runs), then runs them in order.
    static func execute(_ files: [String], _ options: ScenarioOptions) -> Int32 {
        // Before any thread starts (the load generator's loops inherit the mask): a stop
        // signal waits for the runner to take it instead of ending the process.
        Interruption.blockSignals()
        let interruption = Interruption()
        var scenarios: [Scenario] = []
        var valid = true
        for file in files {
            switch Scenario.load(path: file) {
            case .success(let scenario): scenarios.append(scenario)
            case .failure(let errors):
                valid = false
                Console.error(errors.description)
            }
        }
        guard valid else { return 2 }
        if options.prometheus == nil {
            for scenario in scenarios where scenario.steps.contains(where: { $0.expectations.contains(where: \.isPromQL) }) {
                Console.error("\(scenario.file): promql expectations ask a real Prometheus: run with --prometheus")
                valid = false
            }
            guard valid else { return 2 }
        }
        let terminal = Posix.isTerminal(1)
        let base = options.stateDirectory ?? (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/meshbed-run-\(Posix.processID())"
        var results: [ScenarioResult] = []
        for (index, scenario) in scenarios.enumerated() {
            if let signal = interruption.check() {
                let why = "not run: interrupted by \(ProcessSignal.name(of: signal))"
                let steps = scenario.steps.map { StepResult(name: $0.name, action: $0.action.summary, outcome: .skipped(why)) }
                results.append(ScenarioResult(name: scenario.name, file: scenario.file, outcome: .interrupted(signal: signal), steps: steps))
                continue
            }
            let directory = StateDirectory.absolute(base + "/\(index + 1)-\(scenario.name)")
            let shown = DisplayText.escaped(scenario.name)  // progress lines quote the file's names
            let result = ScenarioRunner.run(scenario, stateDirectory: directory, readyTimeout: options.readyTimeout, prometheus: options.prometheus,
                                            runtime: options.runtime,
                                            interruption: interruption) { event in
                guard terminal else { return }
                switch event {
                case .starting(let name):
                    say("\r\u{1B}[K\(DisplayText.escaped(name)): starting the topology ...")
                case .stepStarted(let index, let count, let step):
                    say("\r\u{1B}[K\(shown) [\(index + 1)/\(count)] \(DisplayText.escaped(step.name)): \(DisplayText.escaped(step.action.summary)) ...")
                case .stepEnded(let index, let count, let result):
                    let mark = result.outcome == .passed ? "\u{1B}[32mpass\u{1B}[0m" : "\u{1B}[31;1m\(result.verdict)\u{1B}[0m"
                    say("\r\u{1B}[K\(shown) [\(index + 1)/\(count)] \(DisplayText.escaped(result.name)): \(mark) (\(Double(result.milliseconds / 100) / 10)s)\n")
                }
            }
            if terminal { say("\r\u{1B}[K") }
            results.append(result)
        }
        if options.stateDirectory == nil, let entries = try? FileManager.default.contentsOfDirectory(atPath: base), entries.isEmpty {
            try? FileManager.default.removeItem(atPath: base)
        }
        let report = ScenarioReport(results)
        say((terminal ? "\n" : "") + report.table(colour: terminal))
        if let signal = report.interruption {
            let kept = results.compactMap(\.logs).map { "\($0)/logs" }
            Console.error("meshbed: interrupted by \(ProcessSignal.name(of: signal)); every topology was torn down"
                + (kept.isEmpty ? "" : "; the processes' logs are kept in \(kept.joined(separator: ", "))"))
        }
        var status = report.exitCode
        if report.interruption == nil, let late = interruption.check() {
            // Everything ran, but the user asked to stop while the report was being made.
            status = Interruption.exitCode(late)
        }
        for (path, text) in [(options.junit, report.junit), (options.json, report.json)] {
            guard let path else { continue }
            do {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                Console.error("meshbed: cannot write \(path): \(FileErrorReason.of(error))")
                if status == 0 { status = 2 }
            }
        }
        return status
    }

    static func say(_ text: String) {
        Posix.writeAll(1, Array(text.utf8))
    }
}
