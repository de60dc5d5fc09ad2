import MeshYAML

/// One step of a scenario: an action, then the expectations checked after it.
public struct ScenarioStep: Sendable, Equatable {
    /// `name:`, or `step N` when the file gives none.
    public var name: String
    public var action: StepAction
    public var expectations: [Expectation]
    /// `within:` in `expect`: state expectations are polled until they hold or this passes.
    public var within: Duration?
    /// Where the step starts in the file.
    public var line: Int

    public init(name: String, action: StepAction, expectations: [Expectation] = [], within: Duration? = nil, line: Int = 0) {
        self.name = name
        self.action = action
        self.expectations = expectations
        self.within = within
        self.line = line
    }
}

extension ScenarioStep {
    /// Whether the step adds a `loss` fault (which only isolated runtimes enforce).
    var losesPackets: Bool {
        if case .fault(let spec) = action { return spec.kind == .loss }
        return false
    }
}
