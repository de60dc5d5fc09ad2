/// One step after it ran (or did not).
public struct StepResult: Sendable, Equatable {
    /// How the step ended.
    public enum Outcome: Sendable, Equatable {
        /// The action worked and every expectation held.
        case passed
        /// Some expectation did not hold.
        case failed
        /// The action itself could not be done (the mesh is gone, load could not connect).
        case error(String)
        /// Not run, because the scenario stopped before it.
        case skipped(String)
    }

    public var name: String
    /// The action, summarised: `traffic: 200 requests to reviews from the ingress`.
    public var action: String
    public var outcome: Outcome
    public var expectations: [ExpectationResult]
    /// Wall time of the step, in milliseconds.
    public var milliseconds: Int

    public init(name: String, action: String, outcome: Outcome, expectations: [ExpectationResult] = [], milliseconds: Int = 0) {
        self.name = name
        self.action = action
        self.outcome = outcome
        self.expectations = expectations
        self.milliseconds = milliseconds
    }

    /// `pass`, `FAIL`, `ERROR`, `skipped`.
    public var verdict: String {
        switch outcome {
        case .passed: "pass"
        case .failed: "FAIL"
        case .error: "ERROR"
        case .skipped: "skipped"
        }
    }
}
