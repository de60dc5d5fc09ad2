import MeshIO
import MeshResilience
@testable import MeshProxy
import Testing

/// Regressions a review of the pipeline found (each failed before its fix).
@Suite struct PipelineRegressionTests {
    static func limited(connections: Int = 1024, pending: Int = 1024, requests: Int = 1024) -> RoutePolicy {
        RoutePolicy(retries: 0, limits: DestinationLimits.Maxima(connections: connections, pendingRequests: pending, requests: requests))
    }

    static func outstanding(_ harness: PipelineHarness, _ index: Int) -> Int {
        let table = harness.state.routingTable
        let balancer = harness.state.balancer(for: "svc", table.destinations["svc"]!, version: table.version)
        guard case .leastRequest(let lr) = balancer else { fatalError("not leastRequest") }
        return lr.outstandingRequests(index)
    }

    // A: an attempt detached by the route timeout never calls balancer.finished.
    @Test func routeTimeoutLeaksLeastRequestOutstanding() {
        var policy = RoutePolicy(retries: 0)
        policy.loadBalancer = .leastRequest
        policy.timeout = 50_000_000
        let harness = PipelineHarness(services: ["svc": ["v1": 1]], policy: policy)
        harness.everyone(.silent)
        harness.send()
        harness.advance(ms: 50)
        #expect(harness.downstream.status == 504)
        #expect(Self.outstanding(harness, 0) == 0, "outstanding count drifted up by the timed-out attempt")
    }

    // A': same for the caller leaving.
    @Test func downstreamAbortLeaksLeastRequestOutstanding() {
        var policy = RoutePolicy(retries: 0)
        policy.loadBalancer = .leastRequest
        let harness = PipelineHarness(services: ["svc": ["v1": 1]], policy: policy)
        harness.everyone(.silent)
        harness.send()
        harness.exchange.downstreamAborted()
        #expect(Self.outstanding(harness, 0) == 0, "outstanding count drifted up by the abandoned attempt")
    }

    // B: the balancer counts `started` before the circuit breaker parks (or overflows) the attempt.
    @Test func parkingLeaksLeastRequestOutstanding() {
        var policy = Self.limited(connections: 1, pending: 1)
        policy.loadBalancer = .leastRequest
        let harness = PipelineHarness(services: ["svc": ["v1": 1]], policy: policy)
        harness.everyone(.respond(200, afterMs: 100))
        let callers = (0..<3).map { _ in harness.connection() }
        for caller in callers { harness.feed(harness.request(), on: caller) }
        harness.timers.runDue()
        #expect(callers[2].downstream.status == 503)  // overflow at attemptStarting
        harness.advance(ms: 300)
        #expect(callers[0].downstream.status == 200 && callers[1].downstream.status == 200)
        #expect(Self.outstanding(harness, 0) == 0, "parked/overflowed picks never finished")
    }

    // C: a request parked for a connection loses the body that arrives while it waits.
    @Test func parkedRequestLosesItsBody() {
        let harness = PipelineHarness(services: ["svc": ["v1": 1]], policy: Self.limited(connections: 1, pending: 1))
        harness.everyone(.respond(200, afterMs: 100))
        let first = harness.connection(), second = harness.connection()
        harness.feed(harness.request(), on: first)
        harness.feed(harness.request("POST", "/upload", body: "hello world"), on: second)
        harness.advance(ms: 300)
        #expect(second.downstream.status == 200)
        let sent = String(decoding: harness.upstreams.requests.last!.bytes, as: UTF8.self)
        #expect(sent.hasSuffix("hello world"), "upstream got: \(sent)")
    }

    // D: two connections freed in the same loop turn wake only one waiter.
    @Test func twoFreedConnectionsWakeOnlyOneWaiter() {
        let harness = PipelineHarness(services: ["svc": ["v1": 1]], policy: Self.limited(connections: 2, pending: 2))
        harness.script("svc-v1-0", .respond(200, afterMs: 100), .respond(200, afterMs: 100), .respond(200, afterMs: 10_000), .respond(200))
        let callers = (0..<4).map { _ in harness.connection() }
        for caller in callers { harness.feed(harness.request(), on: caller) }
        harness.timers.runDue()
        #expect(harness.upstreams.requests.count == 2)
        harness.advance(ms: 100)
        #expect(callers[0].downstream.status == 200 && callers[1].downstream.status == 200)
        harness.advance(ms: 10)
        #expect(harness.upstreams.requests.count == 4, "both waiters should have a connection now")
        #expect(callers[3].downstream.status == 200, "the 4th waits while an idle connection sits in the pool")
    }

    // E: the connection a dead pooled connection's request is resent on is not counted.
    @Test func resendConnectionIsNotCountedAgainstMaxConnections() {
        let harness = PipelineHarness(services: ["svc": ["v1": 1]], policy: Self.limited(connections: 1))
        harness.send()
        #expect(harness.downstream.status == 200)
        harness.script("svc-v1-0", .reset, .respond(200))
        harness.send()
        #expect(harness.downstream.status == 200)
        #expect(harness.upstreams.openNow == 1)
        let limits = harness.state.routingTable.destinations["svc"]!.shared.limits!
        #expect(limits.connections.load(ordering: .relaxed) == 1, "one connection open, counted 0")
    }
}

import MeshHTTP
import MeshHTTPIO

/// Upstream connections a test drives by hand: nothing happens until it says.
final class HandConnection: UpstreamConnection {
    var isConnected = true
    var isWritable: Bool { true }
    var onClose: (() -> Void)?
    var events: (any UpstreamEvents)?
    var closed = false
    var sent: [UInt8] = []
    func send(_ request: UnsafeRawBufferPointer, isHEAD: Bool, events: any UpstreamEvents) { self.events = events; sent += Array(request) }
    func writeBody(_ bytes: UnsafeRawBufferPointer) { sent += Array(bytes) }
    func pauseReading() {}
    func resumeReading() {}
    func close() {
        guard !closed else { return }
        closed = true
        let c = onClose; onClose = nil; c?()
        let e = events; events = nil; e?.failed(.cancelled)
    }
    func head(_ text: String) {
        var parser = HTTPResponseParser()
        parser.expectResponse(toHEAD: false)
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { buffer in
            if case .head(let head)? = parser.next(buffer).1 { events?.receivedHead(head) }
        }
    }
}

final class HandUpstreams: UpstreamConnector {
    var connections: [HandConnection] = []
    func checkout(_ address: SocketAddress) throws(IOError) -> any UpstreamConnection { try connect(address) }
    func connect(_ address: SocketAddress) throws(IOError) -> any UpstreamConnection { let c = HandConnection(); connections.append(c); return c }
    func checkin(_ connection: any UpstreamConnection, idleTimeout: UInt64) {}
    func hasIdle(_ address: SocketAddress) -> Bool { false }
    func closeOneIdle(toAnyOf addresses: [SocketAddress]) -> Bool { false }
}

/// Regressions that need an upstream driven by hand.
@Suite struct PipelineHandDrivenTests {
    // F: the per-try timeout is re-armed at the request's end even though the response head
    // already arrived (an early answer), so a slow response body is cut by it.
    @Test func perTryTimeoutCutsAResponseThatStartedBeforeTheRequestEnded() {
        let harness = PipelineHarness(services: ["svc": ["v1": 1]], policy: RoutePolicy(perTryTimeout: 100_000_000, retries: 0))
        let upstreams = HandUpstreams()
        let state = ProxyLoopState(timers: harness.timers, connector: upstreams, store: harness.store, seed: 1)
        let exchange = ProxyExchange(mode: .outbound(source: "c"), state: state)
        let downstream = FakeDownstream()
        var parser = HTTPRequestParser()
        let bytes = Array("POST /up HTTP/1.1\r\nhost: svc\r\ncontent-length: 4\r\n\r\n".utf8)
        bytes.withUnsafeBytes { buffer in
            if case .head(let head)? = parser.next(buffer).1 { exchange.start(head, from: downstream) }
        }
        // The upstream answers at once (head only), streaming its body.
        upstreams.connections[0].head("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n")
        #expect(downstream.status == 200)
        // The request body finishes afterwards.
        Array("abcd".utf8).withUnsafeBytes { exchange.receivedBody($0) }
        exchange.receivedEnd()
        harness.advance(ms: 150)
        #expect(!downstream.aborted, "the per-try timeout (to the response head) cut a response that had started")
        #expect(state.counters.perTryTimeouts.load(ordering: .relaxed) == 0)
    }
}

extension PipelineRegressionTests {
    // C': a chunked body is silently truncated: the chunks that came while parked are lost,
    // the later ones are well-formed, so the upstream accepts a shorter body.
    @Test func parkedChunkedRequestIsSilentlyTruncated() {
        let harness = PipelineHarness(services: ["svc": ["v1": 1]], policy: Self.limited(connections: 1, pending: 1))
        harness.everyone(.respond(200, afterMs: 100))
        let first = harness.connection(), second = harness.connection()
        harness.feed(harness.request(), on: first)
        harness.feed(Array("POST /up HTTP/1.1\r\nhost: svc\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n".utf8), on: second)
        harness.advance(ms: 100)  // the first answers; the second gets the connection
        Array(" world".utf8).withUnsafeBytes { second.exchange.receivedBody($0) }
        second.exchange.receivedEnd()
        harness.advance(ms: 100)
        let sent = String(decoding: harness.upstreams.requests.last!.bytes, as: UTF8.self)
        #expect(sent.contains("hello"), "upstream got: \(sent)")
    }
}

import MeshConfig

extension PipelineRegressionTests {
    // G: a retry picked from a newer table records its outcome into the outlier detector of
    // the table the request started with, at the newer table's index.
    @Test func retryAfterSnapshotChangeFeedsTheWrongOutlierDetector() {
        var policy = RoutePolicy(retries: 1, retryOn: [.serverError])
        policy.outlierDetection = OutlierDetection(consecutive5xxErrors: 1, maxEjectionPercent: 100, minHealthPercent: 0)
        let harness = PipelineHarness(services: ["svc": ["v1": 3]], policy: policy)
        harness.everyone(.respond(503))
        harness.send()  // first attempt answered 503; the retry waits for its backoff
        let first = harness.sentTo[0]
        // A new snapshot drops the first attempt's endpoint.
        let old = harness.state.routingTable
        var destination = old.destinations["svc"]!
        destination.all.removeAll { $0.id == first }
        destination.versions["v1"]!.removeAll { $0.id == first }
        destination.shared = DestinationShared.compile(endpoints: destination.all.map(\.id), policy: policy, previous: destination.shared)
        harness.store.apply(RoutingTable(version: 2, destinations: ["svc": destination]),
                            from: MeshSnapshot(version: 2, topology: "t", services: [:]))
        harness.advance(ms: 1000)
        #expect(harness.sentTo.count == 2)
        let second = harness.sentTo[1]
        let table = harness.state.routingTable
        let index = table.destinations["svc"]!.all.firstIndex { $0.id == second }!
        let detector = table.destinations["svc"]!.shared.outlier!
        #expect(detector.isEjected(index, now: harness.timers.now), "\(second) answered 503 with consecutive5xxErrors 1 but the live detector never heard of it")
    }
}
