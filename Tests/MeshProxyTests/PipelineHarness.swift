import MeshConfig
import MeshHTTP
import MeshHTTPIO
import MeshIO
@testable import MeshProxy

/// Drives a sidecar's request pipeline (`ProxyExchange` and its filters) in memory: no
/// sockets, no threads, manual time. Requests are fed as bytes through the real parser;
/// upstream endpoints are scripted (`FakeUpstreams`); the caller's side records what it got.
final class PipelineHarness {
    let timers = ManualTimerScheduler()
    let upstreams: FakeUpstreams
    let store: SnapshotStore
    let state: ProxyLoopState
    let downstream = FakeDownstream()
    private(set) var exchange: ProxyExchange!

    /// A harness for `mode` routing with `services` (name → version → endpoint count;
    /// endpoint `i` of `svc` `v` is `svc-v-i` at 10.0.0.1:P), each destination with `routes`,
    /// `policy`, and a mirror on its first route from `mirrors`.
    init(mode: ProxyMode = .outbound(source: "caller"), services: [String: [String: Int]] = ["svc": ["v1": 3]],
         routes: [String: [RouteConfig]] = [:], mirrors: [String: RoutingTable.CompiledMirror] = [:],
         allow: [String: [AllowConfig]] = [:], faults: [FaultConfig] = [], service: String? = nil, version: String = "v1",
         policy: RoutePolicy = .default, seed: UInt64 = 1, telemetry: TelemetryConfig? = nil,
         upstreamTimeout: UInt64 = 15_000_000_000, bodyTimeout: UInt64 = 15_000_000_000) {
        upstreams = FakeUpstreams(timers: timers)
        // Whose faults: the caller's service (outbound), `ingress` (gateway), or `service` (inbound).
        let owner: String = switch mode {
        case .outbound(let source): source
        case .gateway: "ingress"
        case .inbound: service ?? "svc"
        }
        store = SnapshotStore(faultOwner: FaultSet.Owner(service: owner, version: version, seed: seed))
        state = ProxyLoopState(timers: timers, connector: upstreams, store: store, seed: seed, instance: "caller-v1-0",
                               upstreamTimeout: upstreamTimeout, bodyTimeout: bodyTimeout)
        var port = 1000
        var configs: [String: DestinationConfig] = [:]
        for (service, versions) in services {
            var endpoints: [String: [Endpoint]] = [:]
            for (version, count) in versions {
                endpoints[version] = (0..<count).map { index in
                    port += 1
                    return Endpoint(id: "\(service)-\(version)-\(index)", address: "10.0.0.1:\(port)")
                }
            }
            configs[service] = DestinationConfig(versions: endpoints, routes: routes[service] ?? [], allow: allow[service])
        }
        let snapshot = MeshSnapshot(version: 1, topology: "t", services: configs, faults: faults.isEmpty ? nil : faults,
                                    telemetry: telemetry)
        var table = try! RoutingTable(snapshot, previous: nil, faultOwner: store.faultOwner)
        for name in table.destinations.keys {
            table.destinations[name]!.policy = policy
            table.destinations[name]!.shared = DestinationShared.compile(
                endpoints: table.destinations[name]!.all.map(\.id), policy: policy, previous: nil)
        }
        // A destination's mirror goes on its first route.
        for (name, mirror) in mirrors { table.destinations[name]!.routes[0].mirror = mirror }
        store.apply(table, from: snapshot)
        state.service = owner
        state.version = version
        exchange = ProxyExchange(mode: mode, state: state)
    }

    /// Another downstream connection of the same sidecar loop, with its own caller side.
    func connection() -> (exchange: ProxyExchange, downstream: FakeDownstream) {
        (ProxyExchange(mode: exchange.mode, state: state), FakeDownstream())
    }

    /// Feeds a whole request on `connection` (nothing else runs).
    func feed(_ bytes: [UInt8], on connection: (exchange: ProxyExchange, downstream: FakeDownstream)) {
        let saved = (exchange, downstream)
        exchange = connection.exchange
        otherDownstream = connection.downstream
        feed(bytes)
        exchange = saved.0
        otherDownstream = nil
    }

    private var otherDownstream: FakeDownstream?
    private var sink: FakeDownstream { otherDownstream ?? downstream }

    /// The address of endpoint `id` (`svc-v1-0`).
    func address(_ id: String) -> SocketAddress {
        for destination in state.routingTable.destinations.values {
            if let endpoint = destination.all.first(where: { $0.id == id }) { return endpoint.address }
        }
        fatalError("no endpoint \(id)")
    }

    /// Scripts what endpoint `id` does with its next requests (then `.respond(200)`).
    func script(_ id: String, _ behaviors: FakeUpstreams.Behavior...) {
        upstreams.scripts[address(id), default: []].append(contentsOf: behaviors)
    }

    /// Scripts every endpoint's answers to be `behavior` from now on.
    func everyone(_ behavior: FakeUpstreams.Behavior) {
        upstreams.fallback = behavior
    }

    /// Sends a whole request (head, and body if any) as the caller, then runs what is due.
    func send(_ method: String = "GET", _ path: String = "/", host: String = "svc", headers: [String] = [], body: String? = nil) {
        send(request(method, path, host: host, headers: headers, body: body))
    }

    /// The bytes of a request.
    func request(_ method: String = "GET", _ path: String = "/", host: String = "svc", headers: [String] = [], body: String? = nil) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nhost: \(host)\r\n"
        for header in headers { text += header + "\r\n" }
        if let body { text += "content-length: \(body.utf8.count)\r\n" }
        text += "\r\n" + (body ?? "")
        return Array(text.utf8)
    }

    /// Feeds raw request bytes to the exchange through the real parser, then runs what is due.
    func send(_ bytes: [UInt8]) {
        feed(bytes)
        timers.runDue()
    }

    /// Feeds raw request bytes to the exchange through the real parser (nothing else runs,
    /// as when a server reads a pipelined request inside the end of the previous response).
    func feed(_ bytes: [UInt8]) {
        let downstream = sink
        downstream.reset()
        var parser = HTTPRequestParser()
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while true {
                let (consumed, event) = parser.next(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
                switch event {
                case .head(let head): exchange.start(head, from: downstream)
                case .body(let range): exchange.receivedBody(UnsafeRawBufferPointer(rebasing: buffer[(offset + range.lowerBound)..<(offset + range.upperBound)]))
                case .end: exchange.receivedEnd()
                case .error(let error): fatalError("harness request does not parse: \(error)")
                case nil: break
                }
                offset += consumed
                if case .end = event { break }
                if consumed == 0 && event == nil { break }
            }
        }
    }

    /// Moves time on by `milliseconds`, running what falls due.
    func advance(ms milliseconds: UInt64) {
        timers.advance(by: milliseconds * 1_000_000)
    }

    /// The endpoint ids requests were sent to, in order.
    var sentTo: [String] { upstreams.requests.map { id(of: $0.address) } }

    func id(of address: SocketAddress) -> String {
        for destination in state.routingTable.destinations.values {
            if let endpoint = destination.all.first(where: { $0.address == address }) { return endpoint.id }
        }
        return "\(address)"
    }

    /// The explain record the caller got, as JSON text.
    var explain: String? { downstream.header("x-meshbed-explain") }
}

/// The caller's side: records the response.
final class FakeDownstream: DownstreamSink {
    var status: Int?
    var headerBytes: [UInt8] = []
    var body: [UInt8] = []
    var ended = false
    var aborted = false
    var paused = false
    var isWritable = true
    /// Called when a response ends, where a real server starts the next pipelined request.
    var onResponseEnd: (() -> Void)?
    /// Every status answered, in order (across `reset`s).
    var statuses: [Int] = []

    func reset() {
        status = nil
        headerBytes = []
        body = []
        ended = false
        aborted = false
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The value of header `name` in the response (first occurrence).
    func header(_ name: String) -> String? {
        let text = String(decoding: headerBytes, as: UTF8.self)
        for line in text.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    func sendHead(status: Int, contentLength: Int?, headers: (inout [UInt8]) -> Void) {
        self.status = status
        statuses.append(status)
        headers(&headerBytes)
    }

    func writeBody(_ bytes: UnsafeRawBufferPointer) { body.append(contentsOf: bytes) }
    func endResponse() {
        ended = true
        let next = onResponseEnd
        onResponseEnd = nil
        next?()
    }

    func respond(status: Int, headers: (inout [UInt8]) -> Void, body: [UInt8]) {
        sendHead(status: status, contentLength: body.count, headers: headers)
        self.body = body
        endResponse()
    }

    func pauseRequestBody() { paused = true }
    func resumeRequestBody() { paused = false }
    func abort() { aborted = true }
}

/// Scripted upstream endpoints: each request to an address takes the next behavior
/// scripted for it (else `fallback`). Events arrive through the manual timers, as a real
/// connection's arrive from the loop, never inside the call that sent the request.
final class FakeUpstreams: UpstreamConnector {
    enum Behavior {
        /// Answers `status` after `afterMs` milliseconds, with `headers` and a small body.
        case respond(Int, afterMs: UInt64 = 0, headers: [String] = [])
        /// The connection is refused.
        case refuse
        /// The connection resets before any response.
        case reset
        /// Accepts and never answers.
        case silent
        /// Never connects.
        case hang
    }

    struct SentRequest {
        var address: SocketAddress
        var bytes: [UInt8]
    }

    let timers: ManualTimerScheduler
    var scripts: [SocketAddress: [Behavior]] = [:]
    var fallback = Behavior.respond(200)
    private(set) var requests: [SentRequest] = []
    private var idle: [SocketAddress: [FakeConnection]] = [:]
    private(set) var opened = 0
    private(set) var closed = 0

    init(timers: ManualTimerScheduler) {
        self.timers = timers
    }

    func checkout(_ address: SocketAddress) throws(IOError) -> any UpstreamConnection {
        if var list = idle[address], let connection = list.popLast() {
            idle[address] = list
            return connection
        }
        return try connect(address)
    }

    func connect(_ address: SocketAddress) throws(IOError) -> any UpstreamConnection {
        opened += 1
        return FakeConnection(address: address, upstreams: self)
    }

    func checkin(_ connection: any UpstreamConnection, idleTimeout: UInt64) {
        guard let connection = connection as? FakeConnection, !connection.isClosed else { return }
        idle[connection.address, default: []].append(connection)
        lastIdleTimeout = idleTimeout
    }

    /// The idle timeout the last checkin asked for.
    private(set) var lastIdleTimeout: UInt64 = 0

    func hasIdle(_ address: SocketAddress) -> Bool { idle[address]?.isEmpty == false }

    func closeOneIdle(toAnyOf addresses: [SocketAddress]) -> Bool {
        for address in addresses {
            guard var list = idle[address], !list.isEmpty else { continue }
            let connection = list.removeFirst()
            idle[address] = list
            connection.close()
            return true
        }
        return false
    }

    /// Connections open now (opened and not closed).
    var openNow: Int { opened - closed }

    fileprivate func nextBehavior(for address: SocketAddress) -> Behavior {
        if var list = scripts[address], !list.isEmpty {
            let next = list.removeFirst()
            scripts[address] = list
            return next
        }
        return fallback
    }

    fileprivate func record(_ address: SocketAddress, _ bytes: [UInt8]) {
        requests.append(SentRequest(address: address, bytes: bytes))
    }

    fileprivate func appendBody(_ bytes: UnsafeRawBufferPointer) {
        guard !requests.isEmpty else { return }
        requests[requests.count - 1].bytes.append(contentsOf: bytes)
    }

    fileprivate func didClose() { closed += 1 }
}

final class FakeConnection: UpstreamConnection {
    let address: SocketAddress
    private unowned let upstreams: FakeUpstreams
    private(set) var isConnected = false
    private(set) var isClosed = false
    private var attempt: (any UpstreamEvents)?
    private var pending: TimerID?
    var isWritable: Bool { true }
    var onClose: (() -> Void)?

    init(address: SocketAddress, upstreams: FakeUpstreams) {
        self.address = address
        self.upstreams = upstreams
    }

    func send(_ request: UnsafeRawBufferPointer, isHEAD: Bool, events: any UpstreamEvents) {
        self.attempt = events
        upstreams.record(address, Array(request))
        let behavior = upstreams.nextBehavior(for: address)
        let timers = upstreams.timers
        switch behavior {
        case .respond(let status, let afterMs, let headers):
            isConnected = true
            pending = timers.schedule(at: timers.now + afterMs * 1_000_000) { [weak self] in
                self?.answer(status: status, headers: headers, isHEAD: isHEAD)
            }
        case .refuse:
            pending = timers.schedule(at: timers.now) { [weak self] in
                self?.fail(.connectFailed(IOError(code: 111, function: "connect")))
            }
        case .reset:
            isConnected = true
            pending = timers.schedule(at: timers.now) { [weak self] in self?.fail(.connectionLost) }
        case .silent:
            isConnected = true
        case .hang:
            break
        }
    }

    func writeBody(_ bytes: UnsafeRawBufferPointer) { upstreams.appendBody(bytes) }
    func pauseReading() {}
    func resumeReading() {}

    func close() {
        guard !isClosed else { return }
        isClosed = true
        upstreams.didClose()
        let closed = onClose
        onClose = nil
        closed?()
        if let pending { upstreams.timers.cancel(pending) }
        if let attempt {
            self.attempt = nil
            attempt.failed(.cancelled)
        }
    }

    private func fail(_ error: HTTPClientError) {
        isClosed = true
        upstreams.didClose()
        let closed = onClose
        onClose = nil
        closed?()
        let attempt = self.attempt
        self.attempt = nil
        attempt?.failed(error)
    }

    private func answer(status: Int, headers: [String], isHEAD: Bool) {
        guard let attempt else { return }
        let body = "answer \(status)"
        var text = "HTTP/1.1 \(status) X\r\ncontent-length: \(body.utf8.count)\r\n"
        for header in headers { text += header + "\r\n" }
        text += "\r\n" + (isHEAD ? "" : body)
        var parser = HTTPResponseParser()
        parser.expectResponse(toHEAD: isHEAD)
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while true {
                let (consumed, event) = parser.next(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
                offset += consumed
                switch event {
                case .head(let head): attempt.receivedHead(head)
                case .body(let range):
                    let start = offset - consumed + range.lowerBound
                    attempt.receivedBody(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + range.count)]))
                case .end:
                    self.attempt = nil
                    attempt.receivedEnd()
                    return
                case .error(let error): fatalError("fake response does not parse: \(error)")
                case nil: if consumed == 0 { return }
                }
            }
        }
    }
}
