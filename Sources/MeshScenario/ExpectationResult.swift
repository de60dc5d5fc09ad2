/// One expectation after it was checked: what was expected beside what was measured.
public struct ExpectationResult: Sendable, Equatable {
    /// `successRate`, `status 503`, `latency p99`, ...
    public var name: String
    public var expected: String
    public var measured: String
    public var passed: Bool

    public init(name: String, expected: String, measured: String, passed: Bool) {
        self.name = name
        self.expected = expected
        self.measured = measured
        self.passed = passed
    }
}
