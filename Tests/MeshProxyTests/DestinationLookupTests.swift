import MeshConfig
import MeshHTTP
import MeshIO
@testable import MeshProxy
import Testing

/// A loop's lookups of destinations (routing, then each attempt's pick): held from one
/// request to the next, they must still follow every new snapshot and every service asked for.
@Suite struct DestinationLookupTests {
    @Test func lookupsFollowNewSnapshotsAndAlternatingServices() throws {
        let timers = ManualTimerScheduler(now: 1_000)
        let store = SnapshotStore()
        let state = ProxyLoopState(timers: timers, connector: FakeUpstreams(timers: timers), store: store, seed: 1)
        func snapshot(_ version: Int, a: [Int], b: [Int], balancer: PolicyConfig.LoadBalancer? = nil) -> MeshSnapshot {
            func endpoints(_ name: String, _ ports: [Int]) -> [Endpoint] {
                ports.map { Endpoint(id: "\(name)-\($0)", address: "127.0.0.1:\($0)") }
            }
            let policy = balancer.map { PolicyConfig(loadBalancer: $0) }
            return MeshSnapshot(version: version, topology: "t", services: [
                "a": DestinationConfig(versions: ["v1": endpoints("a", a)], policy: policy),
                "b": DestinationConfig(versions: ["v1": endpoints("b", b)]),
            ])
        }
        func pick(_ service: String) -> String { state.pick(service: service, version: nil, avoiding: [])?.endpoint.id ?? "none" }

        try store.apply(snapshot(1, a: [20001, 20002], b: [20011]))
        // Alternating services: each gets its own endpoints and keeps its own round robin.
        #expect([pick("a"), pick("b"), pick("a"), pick("b"), pick("a")] == ["a-20001", "b-20011", "a-20002", "b-20011", "a-20001"])
        #expect(pick("c") == "none")
        #expect(pick("a") == "a-20002")
        // The balancer picks go through is the one the loop keeps for the destination.
        guard case .roundRobin(let first) = state.balancer(for: "a", state.routingTable.destinations["a"]!, version: 1),
              case .roundRobin(let again) = state.balancer(for: "a", state.routingTable.destinations["a"]!, version: 1) else {
            Issue.record("a's balancer is not round robin")
            return
        }
        #expect(first === again)

        // A new snapshot: new endpoints and a new policy, whatever was looked up last.
        try store.apply(snapshot(2, a: [20003], b: [20012, 20013], balancer: .random))
        #expect(pick("a") == "a-20003")
        #expect(state.addresses(of: "b") == [SocketAddress("127.0.0.1:20012")!, SocketAddress("127.0.0.1:20013")!])
        guard case .random = state.balancer(for: "a", state.routingTable.destinations["a"]!, version: 2) else {
            Issue.record("the new snapshot's balancer kind was not taken")
            return
        }
        guard case .success(let choice) = state.chooseRoute(service: "a", head: .probe) else {
            Issue.record("no route to a")
            return
        }
        #expect(choice.resolved.destination.all.map(\.id) == ["a-20003"])
        try store.apply(snapshot(3, a: [], b: [20012]))
        #expect(pick("a") == "none")
        #expect(pick("b") == "b-20012")
    }
}
