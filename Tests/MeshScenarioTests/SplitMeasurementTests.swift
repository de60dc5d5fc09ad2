@testable import MeshScenario
import MeshLoad
import MeshTopology
import Testing

/// How a split expectation reads the load generator's counts: responses without an
/// `x-meshbed-version` are named `no-version` (not `-`, which reads as a range).
@Suite struct SplitMeasurementTests {
    static func load(versions: [String: Int], responses: Int) -> LoadResult {
        var load = LoadResult()
        load.statusCounts = [200: responses]
        load.versionCounts = versions
        return load
    }

    @Test func theNameIsSharedWithTheTopology() {
        #expect(LoadResult.noVersion == "no-version")
        #expect(LoadResult.noVersion == ServiceVersion.noVersion)
    }

    @Test func responsesWithoutAVersionAreNamed() {
        let split = Expectation.split(shares: [("v1", 90), ("no-version", 10)], tolerance: 3)
        let result = ScenarioRunner.Run.check(split, Self.load(versions: ["v1": 9, LoadResult.noVersion: 1], responses: 10))
        #expect(result.measured == "v1 90% no-version 10%")
        #expect(result.passed)
    }

    @Test func onlyResponsesWithoutAVersionAreNotNoResponses() {
        let split = Expectation.split(shares: [("v1", 100)], tolerance: 3)
        let result = ScenarioRunner.Run.check(split, Self.load(versions: [:], responses: 5))
        #expect(result.measured == "v1 0% no-version 100%")
        #expect(!result.passed)
        #expect(ScenarioRunner.Run.check(split, Self.load(versions: [:], responses: 0)).measured == "no responses")
    }
}
