/// One scenario after it ran: its steps, how it ended, and where its logs are when kept.
public struct ScenarioResult: Sendable, Equatable {
    /// How the scenario ended, in the terms of `meshbed run`'s exit status.
    public enum Outcome: Sendable, Equatable {
        /// Every expectation held (exit 0).
        case passed
        /// Some expectation did not hold (exit 1).
        case failed
        /// The topology could not start or the mesh broke under the run (exit 3).
        case infrastructure(String)
        /// A stop signal (SIGINT, SIGTERM, SIGHUP) ended the run early (exit 128 + its number).
        case interrupted(signal: Int32)
        /// Not run: the scenario names the runtimes it means something on, and this is not one
        /// (exit 0: nothing failed).
        case skipped(String)
    }

    public var name: String
    public var file: String
    public var outcome: Outcome
    public var steps: [StepResult]
    /// The state directory with every process's log, kept because the scenario failed.
    public var logs: String?
    /// Wall time, in milliseconds.
    public var milliseconds: Int

    public init(name: String, file: String, outcome: Outcome, steps: [StepResult], logs: String? = nil, milliseconds: Int = 0) {
        self.name = name
        self.file = file
        self.outcome = outcome
        self.steps = steps
        self.logs = logs
        self.milliseconds = milliseconds
    }

    /// 0 passed, 1 failed, 3 infrastructure, 128 + N interrupted by signal N.
    public var exitCode: Int32 {
        switch outcome {
        case .passed: 0
        case .failed: 1
        case .infrastructure: 3
        case .interrupted(let signal): Interruption.exitCode(signal)
        case .skipped: 0
        }
    }

    /// `passed`, `failed`, `error`, `interrupted`, `skipped`.
    public var verdict: String {
        switch outcome {
        case .passed: "passed"
        case .failed: "failed"
        case .infrastructure: "error"
        case .interrupted: "interrupted"
        case .skipped: "skipped"
        }
    }
}
