import Foundation
import MeshIO
import MeshOrchestrator
import Testing

/// The restart request channel's files: a request is read (and removed) once by the
/// supervisor side, its answer once by the asker, and nothing is left behind.
@Suite struct RestartChannelTests {
    @Test func requestAndAnswerRoundTripAndLeaveNothingBehind() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = StateDirectory(directory.path)
        #expect(store.requestsDirectory(of: "shop") == directory.path + "/shop/requests")
        #expect(RestartChannel.pending(name: "shop", store: store).isEmpty)  // no directory yet

        let first = try RestartChannel.submit(.init(instances: ["web-v1-0"]), name: "shop", store: store)
        let second = try RestartChannel.submit(.init(instances: ["web-v1-1", "legacy-v1-0"]), name: "shop", store: store)
        #expect(first != second)
        #expect(RestartChannel.acknowledgement(first, name: "shop", store: store) == nil)  // not answered yet

        let pending = RestartChannel.pending(name: "shop", store: store)
        #expect(Set(pending.map(\.id)) == [first, second])
        #expect(pending.first { $0.id == second }?.request.instances == ["web-v1-1", "legacy-v1-0"])
        #expect(RestartChannel.pending(name: "shop", store: store).isEmpty)  // read once

        RestartChannel.acknowledge(first, .init(restarted: ["web-v1-0"]), name: "shop", store: store)
        RestartChannel.acknowledge(second, .init(restarted: [], failure: "no instance x"), name: "shop", store: store)
        #expect(RestartChannel.acknowledgement(first, name: "shop", store: store) == .init(restarted: ["web-v1-0"]))
        #expect(RestartChannel.acknowledgement(second, name: "shop", store: store)?.failure == "no instance x")
        #expect(RestartChannel.acknowledgement(first, name: "shop", store: store) == nil)  // read once
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.requestsDirectory(of: "shop")) == [])
    }

    @Test func unreadableRequestIsAnsweredWithAFailure() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = StateDirectory(directory.path)
        try FileManager.default.createDirectory(atPath: store.requestsDirectory(of: "shop"), withIntermediateDirectories: true)
        try Data("not json".utf8).write(to: URL(fileURLWithPath: store.requestsDirectory(of: "shop") + "/restart-abc.json"))
        #expect(RestartChannel.pending(name: "shop", store: store).isEmpty)
        let answer = try #require(RestartChannel.acknowledgement("abc", name: "shop", store: store))
        #expect(answer.restarted.isEmpty)
        #expect(answer.failure?.hasPrefix("unreadable restart request") == true)
    }

    @Test func aGoneSupervisorIsReportedAndTheRequestWithdrawn() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = StateDirectory(directory.path)
        let state = MeshState(name: "shop", file: "/t/shop.yaml", runID: "00ff", supervisorPID: Int32.max)  // no such process
        #expect(throws: OrchestratorError.couldNotStart("the supervisor of 'shop' (pid \(Int32.max)) is gone")) {
            try RestartChannel.restart(["web-v1-0"], of: state, store: store, timeout: .seconds(1))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.requestsDirectory(of: "shop")) == [])
    }

    /// A supervisor pid that now belongs to an unrelated process gets no SIGUSR1 (whose
    /// default action would end it): the restart fails as if the supervisor were gone.
    @Test func aPidTakenOverByAnotherProcessIsNotSignalled() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = StateDirectory(directory.path)
        let stranger = try TopologyStopperTests.sleeper(directory, "stranger")
        defer { TopologyStopperTests.stop([stranger]) }
        let state = MeshState(name: "shop", file: "/t/shop.yaml", runID: "00ff", supervisorPID: stranger)
        #expect(throws: OrchestratorError.couldNotStart("the supervisor of 'shop' (pid \(stranger)) is gone")) {
            try RestartChannel.restart(["web-v1-0"], of: state, store: store, timeout: .seconds(1))
        }
        #expect(Posix.liveness(of: stranger).isAlive)
    }
}
