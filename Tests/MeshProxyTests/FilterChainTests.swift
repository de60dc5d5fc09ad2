import MeshIO
@testable import MeshProxy
import Testing

/// The exchange calls each hook only on the filters that implement it, in pipeline order.
@Suite struct FilterChainTests {
    final class Some: ProxyFilter {
        let hooks: FilterHooks
        init(_ hooks: FilterHooks) { self.hooks = hooks }
    }
    final class Unsaid: ProxyFilter {}

    @Test func eachHookListsTheFiltersThatSayTheyHaveItInOrder() {
        let routing = Some([.requestStarted])
        let balancer = Some([.attemptStarting, .attemptStarted, .attemptEnded])
        let unsaid = Unsaid()
        let retry = Some([.requestStarted, .retryAllowed, .attemptEnded, .requestEnded])
        let chain = FilterChain([routing, balancer, unsaid, retry])
        func ids(_ filters: [any ProxyFilter]) -> [ObjectIdentifier] { filters.map { ObjectIdentifier($0) } }
        let (r, b, u, t) = (ObjectIdentifier(routing), ObjectIdentifier(balancer), ObjectIdentifier(unsaid), ObjectIdentifier(retry))
        #expect(ids(chain.all) == [r, b, u, t])
        #expect(ids(chain.requestStarted) == [r, u, t])
        #expect(ids(chain.requestReceived) == [u])
        #expect(ids(chain.attemptStarting) == [b, u])
        #expect(ids(chain.attemptStarted) == [b, u])
        #expect(ids(chain.attemptEnded) == [b, u, t])
        #expect(ids(chain.retryAllowed) == [u, t])
        #expect(ids(chain.requestEnded) == [u, t])
    }

    @Test func theSidecarsPipelinesCallEveryHookTheirFiltersHave() {
        let timers = ManualTimerScheduler(now: 1)
        let state = ProxyLoopState(timers: timers, connector: FakeUpstreams(timers: timers), store: SnapshotStore(), seed: 1)
        let outbound = state.filters(for: .outbound(source: "web"))
        #expect(outbound.all.count == 7)
        #expect(outbound.requestStarted.count == 6)
        #expect(outbound.attemptStarting.count == 2)
        #expect(outbound.attemptEnded.count == 2)
        #expect(outbound.requestEnded.count == 2)
        #expect(outbound.requestReceived.count + outbound.attemptStarted.count + outbound.retryAllowed.count == 3)
    }
}
