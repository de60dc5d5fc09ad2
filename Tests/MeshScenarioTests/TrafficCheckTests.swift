import MeshLoad
@testable import MeshScenario
import Testing

/// Traffic expectations against a load result: what the measured column says.
@Suite struct TrafficCheckTests {
    @Test func successRateNamesTheRequestsThatWereNotSent() throws {
        var load = LoadResult()
        load.statusCounts = [200: 40]
        let comparison = try #require(Comparison.parse(">= 99%"))
        let sent = ScenarioRunner.Run.check(.successRate(comparison), load)
        #expect(sent.measured == "100% of 40")
        #expect(sent.passed)

        load.notSent = 960
        let overloaded = ScenarioRunner.Run.check(.successRate(comparison), load)
        #expect(overloaded.measured == "100% of 40, 960 due but not sent")
    }
}
