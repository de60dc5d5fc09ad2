import MeshConfig
import MeshCore
@testable import MeshOrchestrator
import Testing

/// Waiting for every live sidecar to apply a snapshot version: which sidecars count, what a
/// rejection does, and the timing of the polls, with a manual clock and scripted answers.
@Suite struct AcknowledgementWaitTests {
    static func status(_ id: String, acked: Int?, healthy: Bool = true, rejected: Ack? = nil) -> InstanceStatus {
        InstanceStatus(instance: id, service: String(id.prefix { $0 != "-" }), version: "v1", inbound: "127.0.0.1:1",
                       healthy: healthy, lastSeenMillis: 10, ackedVersion: acked, rejected: rejected)
    }

    @Test func onlyLiveSidecarsCountAndALaterVersionIsEnough() {
        let statuses = [
            Self.status("a-v1-0", acked: 7), Self.status("b-v1-0", acked: 9),
            Self.status("dead-v1-0", acked: 3, healthy: false), Self.status("ingress", acked: 7),
        ]
        #expect(AcknowledgementWait.progress(statuses, version: 7) == .applied(sidecars: 3))
        #expect(AcknowledgementWait.progress(statuses, version: 8) == .waiting(for: ["a-v1-0", "ingress"], of: 3))
        #expect(AcknowledgementWait.progress([Self.status("new-v1-0", acked: nil)], version: 1) == .waiting(for: ["new-v1-0"], of: 1))
        #expect(AcknowledgementWait.progress([], version: 4) == .applied(sidecars: 0))
    }

    @Test func aRejectionOfThisVersionOrALaterOneIsAnErrorAnOlderOneIsNot() {
        let now = [Self.status("a-v1-0", acked: 6, rejected: Ack(instance: "a-v1-0", version: 7, error: "bad split"))]
        #expect(AcknowledgementWait.progress(now, version: 7) == .rejected(instance: "a-v1-0", reason: "bad split"))
        let old = [Self.status("a-v1-0", acked: 6, rejected: Ack(instance: "a-v1-0", version: 5, error: "old"))]
        #expect(AcknowledgementWait.progress(old, version: 7) == .waiting(for: ["a-v1-0"], of: 1))
    }

    /// Answers from a script, one per poll (the last one repeats); counts the polls.
    final class Script: @unchecked Sendable {
        var answers: [[InstanceStatus]?]
        var polls = 0
        init(_ answers: [[InstanceStatus]?]) { self.answers = answers }
        func next() -> [InstanceStatus]? {
            polls += 1
            return answers.count > 1 ? answers.removeFirst() : answers[0]
        }
    }

    @Test func returnsAtThePollThatSeesEveryAcknowledgementAfterBackingOff() {
        let clock = ManualClock()
        let behind = [Self.status("a-v1-0", acked: 6), Self.status("ingress", acked: 7)]
        let done = [Self.status("a-v1-0", acked: 7), Self.status("ingress", acked: 7)]
        let script = Script([behind, nil, behind, done])
        let result = AcknowledgementWait.wait(version: 7, timeout: 5_000_000_000, clock: clock, pause: { clock.advance(by: $0) }, fetch: script.next)
        #expect(result == .success(2))
        #expect(script.polls == 4)
        #expect(clock.now() == 6_000_000)  // three pauses of 2 ms
        #expect(AcknowledgementWait.pause(afterPoll: 24) == 2_000_000 && AcknowledgementWait.pause(afterPoll: 25) == 10_000_000)
    }

    @Test func givesUpAtTheDeadlineNamingTheSidecarsBehind() {
        let clock = ManualClock()
        let ids = (0..<7).map { "r-v1-\($0)" }
        let script = Script([ids.map { Self.status($0, acked: 2) } + [Self.status("ingress", acked: 3)]])
        let result = AcknowledgementWait.wait(version: 3, timeout: 1_000_000_000, clock: clock, pause: { clock.advance(by: $0) }, fetch: script.next)
        guard case .failure(let error) = result else {
            Issue.record("no failure")
            return
        }
        #expect(error.exitCode == 1)
        #expect(error.message == "version 3 not applied within 1s by 7 of 8 sidecars: r-v1-0, r-v1-1, r-v1-2, r-v1-3, r-v1-4 and 2 more")
        // Polled every 2 ms from 0 to 50 ms, then every 10 ms up to the deadline, and last at it.
        #expect(clock.now() == 1_000_000_000)
        #expect(script.polls == 26 + 95)
    }

    @Test func aRejectionEndsTheWaitAtOnceAndNamesTheSidecar() {
        let clock = ManualClock()
        let rejected = Ack(instance: "b-v1-0", version: 5, error: "could not apply snapshot: bad JSON")
        let script = Script([[Self.status("a-v1-0", acked: 5), Self.status("b-v1-0", acked: 4, rejected: rejected)]])
        let result = AcknowledgementWait.wait(version: 5, timeout: 5_000_000_000, clock: clock, pause: { clock.advance(by: $0) }, fetch: script.next)
        #expect(result == .failure(OrchestratorError(exitCode: 1, "b-v1-0 rejected version 5: could not apply snapshot: bad JSON")))
        #expect(script.polls == 1 && clock.now() == 0)
    }

    @Test func aSilentControlPlaneIsReportedAsSuch() {
        let clock = ManualClock()
        let script = Script([nil])
        let result = AcknowledgementWait.wait(version: 5, timeout: 50_000_000, clock: clock, pause: { clock.advance(by: $0) }, fetch: script.next)
        #expect(result == .failure(OrchestratorError(exitCode: 1, "version 5: the control plane did not report its sidecars within 50ms")))
    }

    @Test func appliedSummaryRoundsUp() {
        #expect(LiveRoutes.Applied(version: 7, sidecars: 9, nanoseconds: 11_200_000).summary == "routes version 7 applied by 9 sidecars in 12 ms")
        #expect(LiveRoutes.Applied(version: 2, sidecars: 1, nanoseconds: 0).summary == "routes version 2 applied by 1 sidecar in 0 ms")
        #expect(LiveRoutes.escaped("re views/ä") == "re%20views%2F%C3%A4")
    }
}
