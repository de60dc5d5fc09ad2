import MeshCore
import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshTLSIO
import MeshTLS
import MeshResilience

/// Which listener a proxied request came in on, which decides where it goes.
enum ProxyMode: Sendable {
    /// From the local app: the destination is the service named by the request.
    case outbound(source: String)
    /// From a peer sidecar: the destination is the local app.
    case inbound(app: SocketAddress)
    /// The ingress: the destination is the service named by the `Host` header.
    case gateway

    /// The name the decision record gives it.
    var name: String {
        switch self {
        case .outbound: "outbound"
        case .inbound: "inbound"
        case .gateway: "gateway"
        }
    }
}

/// One downstream connection's requests as they go through the sidecar, one at a time:
///
///     head ─▶ filters.requestStarted (route, timeout, retry policy…) ─▶ attempt 1
///     attempt n: filters.attemptStarting (pick endpoint) ─▶ connect/pool ─▶ send head + body
///     response head ─▶ filters.attemptEnded ─▶ retry? ─yes─▶ backoff ─▶ attempt n+1
///                                             └─no──▶ stream head and body to the caller
///
/// Bodies stream both ways with backpressure; a request body is also recorded (up to
/// `replayLimit`) while a retry is possible, so a retry can replay it. A response head is
/// passed on only once its attempt is final (no retry will follow), so the caller sees one
/// answer. Errors before the response starts become a local reply (502/503/504/408 with a
/// JSON body naming the reason and Envoy-style response flags); after, the downstream
/// connection is cut (a half-sent response cannot be repaired).
///
/// Timeouts: the route timeout (the policy's `timeout`, else the sidecar's default) runs
/// from the end of the request to the end of the response, retries and backoff included;
/// each attempt has a connect timeout and, when the policy sets one, a per-try timeout to
/// its response head; a request body that makes no progress for `bodyTimeout` gets 408.
///
/// Per-request state lives here and in `record`; the filters (`ProxyPipeline`) read and
/// write it through the properties below.
final class ProxyExchange: HTTPRequestHandler {
    let mode: ProxyMode
    let state: ProxyLoopState
    private let filters: FilterChain
    /// The caller's identity line this hop adds upstream (`x-meshbed-source: S`; none inbound).
    private let sourceLine: [UInt8]
    /// The caller's verified SPIFFE ID and service (inbound with mTLS; per connection).
    private(set) var peerIdentity: String?
    var callerService: String?
    private var peerResolved = false
    /// The caller speaks plaintext although the mesh uses mTLS (permissive mode).
    private var plaintextPeer = false
    /// `x-forwarded-client-cert: By=OWN;URI=PEER` for the app (inbound with mTLS).
    private var identityLine: [UInt8] = []
    private weak var downstream: (any DownstreamSink)?

    // MARK: what filters read and write

    /// The request head, while `requestStarted` filters run (nil otherwise).
    private(set) var requestHead: HTTPRequestHead?
    /// The destination service (outbound and gateway), set by the routing filter.
    var destination = ""
    /// The version the route's split chose (nil: any version), set by the routing filter.
    var version: String?
    /// The matched route's mirror, set by the routing filter.
    var routeMirror: RoutingTable.CompiledMirror?
    /// The version a copy of this request goes to, set by the mirror filter.
    var mirrorVersion: String?
    /// The destination's policy, set by the routing filter (the inbound side keeps its own).
    var policy: RoutePolicy
    /// Whether and how failed attempts are retried, set by the retry filter.
    var retry = RetryState.none
    /// The route timeout (from the end of the request), set by the timeout filter (0: none).
    var routeTimeout: UInt64 = 0
    /// The destination's shared state (retry budget, outlier detector, limits), set by the
    /// routing filter.
    var shared: DestinationShared?
    /// The endpoint of the attempt about to start (and then under way), set by the filter that
    /// picks endpoints; `index` is its place in the destination's endpoint list.
    var endpoint: RoutingTable.CompiledEndpoint?
    /// `endpoint`'s place in the destination's endpoint list (what balancers and outlier
    /// detection count by).
    var endpointIndex = 0
    /// The balancer that picked `endpoint` and the outlier detector of the same routing table
    /// (told how the attempt went).
    var balancer: LoadBalancer?
    var outlier: OutlierDetector?
    /// When the current attempt started (`timers` time).
    private(set) var attemptStartedAt: UInt64 = 0
    /// Whether the retry filter holds a retry of the budget for the current attempt.
    var holdsBudgetRetry = false
    /// Whether the circuit breaker counted this request against `maxRequests`.
    var holdsRequestSlot = false
    /// Whether the request waits for a connection (counted against `maxPendingRequests`).
    var waitsForConnection = false
    /// Endpoints earlier attempts of this request went to.
    private(set) var tried: [SocketAddress] = []
    /// What was decided for this request.
    var record = DecisionRecord()
    /// Whether the method is idempotent (RFC 9110 §9.2.2).
    private(set) var isIdempotent = false

    // MARK: machinery

    private var active = false
    /// Whether an attempt started and has not ended yet (for the filters).
    private var attemptInFlight = false
    /// Whether this exchange stopped reading the request body.
    private var callerPaused = false
    /// The last request's authority and the service it named.
    private var lastAuthority: [UInt8] = []
    /// The caller's service as metrics name it (inbound).
    private var caller = "unknown"
    /// This hop's own name for its requests' source (outbound: its service; gateway: `ingress`).
    private lazy var metricsSource: String = sourceService ?? ""
    /// The last `x-meshbed-source` value seen inbound and its text.
    private var lastSourceHeader: [UInt8] = []
    private var lastSource = "unknown"
    private var lastService: String?
    /// Whether the request waits for a filter to resume its next attempt (`resumeParked`).
    private(set) var parked = false
    private var isHEAD = false
    private var bodiless = false
    private var explain = false
    private var requestComplete = false
    private var responseStarted = false
    private var requestChunked = false
    private var upstreamHead: [UInt8] = []
    /// This request's trace (W3C Trace Context): the trace id, this hop's span id, its parent
    /// span (the caller's; 0: this hop starts the trace) and the flags passed on (bit 0: sampled).
    private var traceHigh: UInt64 = 0
    private var traceLow: UInt64 = 0
    private var spanID: UInt64 = 0
    private var parentSpan: UInt64 = 0
    private var traceFlags: UInt8 = 0
    private var chunkScratch: [UInt8] = []
    /// The request body as sent upstream (chunk framing included), while it may be replayed.
    private var replay: [UInt8] = []
    private var recordingBody = false
    private var replayable = true
    private var attempt: UpstreamAttempt?
    private var retryTimer: TimerID?
    /// Route and body deadlines (`timers` time; 0: none) and the one lazily armed timer.
    private var routeDeadline: UInt64 = 0
    private var bodyDeadline: UInt64 = 0
    /// Until when an injected delay holds the request before its first attempt (0: not held),
    /// and the abort to answer with then, if one fired too.
    private var faultHeldUntil: UInt64 = 0
    /// The client-side faults for this request's destination (set by routing); nil: none.
    var clientFaults: [FaultRule]?
    private var faultReply: LocalReply?
    private var timer: TimerID?
    private var timerAt: UInt64 = 0

    /// Request bodies up to this size are kept for a retry; a larger one is not retried.
    static let replayLimit = 64 * 1024

    init(mode: ProxyMode, state: ProxyLoopState) {
        self.mode = mode
        self.state = state
        self.filters = state.filters(for: mode)
        var line: [UInt8] = []
        switch mode {
        case .outbound(let source): HTTPSerializer.appendHeader(name: "x-meshbed-source", value: ArraySlice(source.utf8), into: &line)
        case .gateway: HTTPSerializer.appendHeader(name: "x-meshbed-source", value: "ingress", into: &line)
        case .inbound: break
        }
        self.sourceLine = line
        if case .inbound = mode { policy = .inbound } else { policy = .default }
        upstreamHead.reserveCapacity(1024)
        tried.reserveCapacity(4)
    }

    deinit {
        // The downstream connection is gone (on the loop thread): its timers go with it.
        if let timer { state.timers.cancel(timer) }
        if let retryTimer { state.timers.cancel(retryTimer) }
    }

    private var timers: any TimerScheduler { state.timers }

    // MARK: downstream (HTTPRequestHandler)

    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {
        if isInbound {
            if !peerResolved { resolvePeer(of: exchange.byteStream) }
            if plaintextPeer, state.routingTable.security?.mtls.mode == .strict {
                // A plaintext caller under strict mTLS: one let in while the mesh was
                // permissive, or before this sidecar had its certificate. Refused like a
                // failed handshake; nothing reaches the app.
                state.counters.tlsRejected.add(1, ordering: .relaxed)
                exchange.abort()
                return
            }
            if let links = state.currentLinks, links.partitionsCallers,
               links.partitions(caller: callerService ?? head.headers.firstString("x-meshbed-source")) {
                // A partition between the caller and this service: nothing gets through.
                state.counters.partitioned.add(1, ordering: .relaxed)
                exchange.abort()
                return
            }
        }
        start(head, from: exchange)
    }

    /// Reads the connection's verified peer identity once (inbound, with mTLS): for
    /// authorization, the decision record and the app's `x-forwarded-client-cert`; or notes
    /// that the caller speaks plaintext.
    private func resolvePeer(of stream: any ByteStream) {
        peerResolved = true
        let table = state.routingTable
        guard let security = table.security else { return }
        let mtls = security.mtls
        let session = (stream as? TLSStream) ?? (stream as? SniffingStream)?.tls
        guard let uri = session?.peerCertificate?.uris.first else {
            plaintextPeer = true
            return
        }
        peerIdentity = uri
        callerService = (try? SPIFFEID(parsing: uri))?.service
        let own = mtls.identity(namespace: security.namespace, service: state.service)
        identityLine.removeAll()
        HTTPSerializer.appendHeader(name: "x-forwarded-client-cert", value: ArraySlice("By=\(own);URI=\(uri)".utf8), into: &identityLine)
    }

    func requestBody(_ bytes: UnsafeRawBufferPointer, on exchange: HTTPServerConnection) { receivedBody(bytes) }
    func requestEnd(on exchange: HTTPServerConnection) { receivedEnd() }
    func responseWritable(on exchange: HTTPServerConnection) { downstreamWritable() }
    func exchangeAborted(on exchange: HTTPServerConnection) { downstreamAborted() }

    /// A request head arrived from `sink`.
    func start(_ head: HTTPRequestHead, from sink: any DownstreamSink) {
        downstream = sink
        resetRequest()
        active = true
        state.counters.requests.add(1, ordering: .relaxed)
        record.startedAt = timers.now
        record.method = head.method
        record.path.append(contentsOf: head.path)
        beginSpan(head)
        isHEAD = head.method == .head
        bodiless = head.framing == .none
        isIdempotent = switch head.method {
        case .get, .head, .options, .trace, .put, .delete: true
        default: false
        }
        explain = head.headers.firstValue("x-meshbed-explain").map { $0.elementsEqual(Self.one) } ?? false
        record.peer = peerIdentity
        if isInbound { caller = callerForMetrics(head) }
        requestHead = head
        for filter in filters.requestStarted {
            if case .stop(let reply) = filter.requestStarted(self) {
                requestHead = nil
                return finish(with: reply)
            }
        }
        requestHead = nil
        writeUpstreamHead(head, into: &upstreamHead)
        recordingBody = !bodiless && (retry.mayRetry || mirrorVersion != nil)
        if !bodiless, state.bodyTimeout > 0 {
            bodyDeadline = bodyProgressDeadline()
            armTimer()
        }
        if faultHeldUntil != 0 {
            armTimer()
            return
        }
        startAttempt()
    }

    /// Joins the caller's trace (a valid `traceparent`: its trace id, its span as the parent,
    /// its sampled flag) or starts one (recorded as `mesh.tracing` says: `sampling` percent of
    /// the time, at most `maxTracesPerSecond`), with a new span for this hop either way.
    private func beginSpan(_ head: HTTPRequestHead) {
        if let value = head.headers.firstValue("traceparent"), let caller = TraceParent(parsing: value) {
            traceHigh = caller.traceHigh
            traceLow = caller.traceLow
            parentSpan = caller.parent
            traceFlags = caller.flags & 1
        } else {
            traceHigh = state.newSpanID()
            traceLow = state.newSpanID()
            parentSpan = 0
            traceFlags = state.sampleNewTrace() ? 1 : 0
        }
        spanID = state.newSpanID()
    }

    /// The name this hop gives its caller's service: its own service (outbound), `ingress`
    /// (gateway); nil inbound.
    var sourceService: String? {
        switch mode {
        case .outbound(let source): source
        case .gateway: "ingress"
        case .inbound: nil
        }
    }

    /// Holds the request for `delay` nanoseconds before its first attempt (an injected
    /// fault), then answers `reply` instead if one is given. Called by a filter at the
    /// request's start.
    func holdForFault(_ delay: UInt64, then reply: LocalReply?) {
        faultHeldUntil = timers.now &+ max(delay, 1)
        faultReply = reply
    }

    /// When the request body must next make progress: `bodyTimeout` from now, or from the
    /// end of an injected delay (a held request's body may well stop: nothing reads it).
    private func bodyProgressDeadline() -> UInt64 {
        max(timers.now, faultHeldUntil) &+ state.bodyTimeout
    }

    /// A piece of the request body.
    func receivedBody(_ bytes: UnsafeRawBufferPointer) {
        guard active else { return }
        if bodyDeadline != 0 { bodyDeadline = bodyProgressDeadline() }
        if requestChunked {
            chunkScratch.removeAll(keepingCapacity: true)
            HTTPSerializer.appendChunk(bytes, into: &chunkScratch)
            chunkScratch.withUnsafeBytes { forwardBody($0) }
        } else {
            forwardBody(bytes)
        }
    }

    /// The request ended.
    func receivedEnd() {
        guard active else { return }
        requestComplete = true
        bodyDeadline = 0
        if requestChunked {
            chunkScratch.removeAll(keepingCapacity: true)
            HTTPSerializer.appendLastChunk(into: &chunkScratch)
            chunkScratch.withUnsafeBytes { forwardBody($0) }
        }
        if routeTimeout > 0 {
            routeDeadline = timers.now &+ routeTimeout
            armTimer()
        }
        // The per-try timeout runs to the answer's head: not once it arrived (an early answer).
        if !responseStarted { armPerTry() }
        for filter in filters.requestReceived { filter.requestReceived(self) }
    }

    /// The caller can take more response bytes.
    func downstreamWritable() {
        attempt?.connection?.resumeReading()
    }

    /// The caller went away.
    func downstreamAborted() {
        guard active else { return }
        record.flags.insert(.downstreamConnectionTermination)
        downstream = nil
        finish()
    }

    private func forwardBody(_ bytes: UnsafeRawBufferPointer) {
        guard let connection = attempt?.connection else {
            // No attempt under way (the request waits for a connection): keep every byte to
            // send when it starts, and stop reading the caller past the replay limit.
            replay.appendBytes(bytes)
            if replay.count > Self.replayLimit {
                recordingBody = false
                replayable = false
                pauseCaller()
            }
            return
        }
        if recordingBody {
            if replay.count + bytes.count <= Self.replayLimit {
                replay.appendBytes(bytes)
            } else {
                recordingBody = false
                replayable = false
                replay.removeAll(keepingCapacity: true)
            }
        }
        connection.writeBody(bytes)
        if !connection.isWritable { pauseCaller() }
    }

    /// Stops reading the request body (the upstream, or the lack of one, is behind).
    private func pauseCaller() {
        callerPaused = true
        downstream?.pauseRequestBody()
    }

    /// Reads the request body again.
    private func resumeCaller() {
        guard callerPaused else { return }
        callerPaused = false
        downstream?.resumeRequestBody()
    }

    // MARK: attempts

    private func startAttempt() {
        endpoint = nil
        for filter in filters.attemptStarting {
            switch filter.attemptStarting(self) {
            case .proceed: continue
            case .stop(let reply): return finish(with: reply)
            case .park:
                parked = true
                return
            }
        }
        guard let endpoint else {
            return finish(with: LocalReply(status: 503, message: "no healthy upstream", flags: .noHealthyUpstream))
        }
        tried.append(endpoint.address)
        record.attempts.append(DecisionRecord.Attempt(endpoint: endpoint.id, startedAt: timers.now))
        attemptStartedAt = timers.now
        attemptInFlight = true
        for filter in filters.attemptStarted { filter.attemptStarted(self) }
        let connection: any UpstreamConnection
        do {
            connection = try state.connector.checkout(endpoint.address)
        } catch {
            return attemptEnded(outcome: .connectFailure, cause: "\(error)", reused: false)
        }
        if !connection.isConnected { countAgainstLimits(connection) }
        let attempt = UpstreamAttempt(
            number: record.attempts.count, endpointID: endpoint.id, address: endpoint.address, connection: connection, exchange: self)
        self.attempt = attempt
        attempt.armConnectTimeout(policy.connectTimeout, now: timers.now)
        if requestComplete { attempt.armPerTryTimeout(policy.perTryTimeout, now: timers.now) }
        if attempt.nextDeadline != 0 { armTimer() }
        // A first attempt sends the body as it comes (what arrived while it waited for a
        // connection first); a retry (only once the request is complete) replays all of it.
        attempt.send(head: upstreamHead, body: replay, isHEAD: isHEAD)
        if !replayable, !replay.isEmpty { replay.removeAll(keepingCapacity: true) }
        if record.attempts.count > 1 { state.counters.retries.add(1, ordering: .relaxed) }
        resumeCaller()
    }

    /// A new connection to the destination counts against its `maxConnections` until it closes.
    private func countAgainstLimits(_ connection: any UpstreamConnection) {
        guard let limits = shared?.limits else { return }
        limits.connections.add(1, ordering: .relaxed)
        let waiters = state.waiters, destination = self.destination
        connection.onClose = {
            limits.connections.subtract(1, ordering: .relaxed)
            waiters.wake(destination)
        }
    }

    /// Ends the current attempt for the filters (once per started attempt).
    private func endAttempt(_ outcome: AttemptOutcome) {
        guard attemptInFlight else { return }
        attemptInFlight = false
        record.attempts[record.attempts.count - 1].outcome = outcome
        for filter in filters.attemptEnded { filter.attemptEnded(self, outcome: outcome) }
    }

    /// Starts the attempt that waited for a connection (one may be free now).
    func resumeFromPool() {
        guard active, parked else { return }
        parked = false
        if waitsForConnection, let limits = shared?.limits {
            waitsForConnection = false
            limits.pending.subtract(1, ordering: .relaxed)
        }
        startAttempt()
    }

    func attemptHead(_ attempt: UpstreamAttempt, _ head: HTTPResponseHead) {
        guard attempt === self.attempt, let downstream else { return }
        attempt.stopTimer()
        var outcome = AttemptOutcome.response(status: head.status)
        if head.status == 503 || head.status == 502, !isInbound,
           let marker = head.headers.firstValue("x-meshbed-proxy"), marker.elementsEqual(ProxyHeaders.appUnreachableValue) {
            outcome = .appUnreachable(status: head.status)
        }
        endAttempt(outcome)
        if let reason = retryReason(for: outcome) {
            self.attempt = nil
            attempt.detach()
            return startRetry(reason)
        }
        responseStarted = true
        record.status = head.status
        let length: Int? = if case .contentLength(let n) = head.framing { Int(n) } else { nil }
        let drop: ProxyHeaders.Drop = isInbound ? .responseFromApp : .responseFraming
        downstream.sendHead(status: head.status, contentLength: length) { out in
            ProxyHeaders.appendForwarded(head.headers, dropping: drop, into: &out)
            appendExplain(into: &out)
        }
    }

    func attemptBody(_ attempt: UpstreamAttempt, _ bytes: UnsafeRawBufferPointer) {
        guard attempt === self.attempt, let downstream else { return }
        record.responseBytes += bytes.count
        downstream.writeBody(bytes)
        if !downstream.isWritable { attempt.connection?.pauseReading() }
    }

    func attemptEnd(_ attempt: UpstreamAttempt) {
        guard attempt === self.attempt else { return }
        self.attempt = nil
        if requestComplete {
            attempt.release(to: state.connector, idleTimeout: policy.idleTimeout)
            if shared?.limits != nil { state.waiters.wake(destination) }
        } else {
            // Answered before the request body was all sent (an early 413, say): the rest of
            // the body would be read as the next request, so this connection ends here.
            attempt.detach()
        }
        // Finish first: ending the response may start the next pipelined request at once.
        let downstream = self.downstream
        finish()
        downstream?.endResponse()
    }

    func attemptWritable(_ attempt: UpstreamAttempt) {
        guard attempt === self.attempt else { return }
        resumeCaller()
    }

    func attemptFailed(_ attempt: UpstreamAttempt, _ error: HTTPClientError) {
        guard attempt === self.attempt else { return }
        if responseStarted {
            self.attempt = nil
            record.flags.insert(.upstreamConnectionTermination)
            downstream?.abort()
            return finish()
        }
        let outcome: AttemptOutcome
        var cause = ""
        switch error {
        case .connectFailed(let reason):
            outcome = .connectFailure
            cause = "\(reason)"
        case .connectionLost:
            // A pooled connection the upstream closed a moment ago fails on first use: like
            // other HTTP clients, send an idempotent bodiless request once more on a new one.
            if attempt.reused, !attempt.resent, bodiless, isIdempotent,
               let fresh = try? state.connector.connect(attempt.address) {
                countAgainstLimits(fresh)
                attempt.resend(head: upstreamHead, isHEAD: isHEAD, on: fresh)
                attempt.armConnectTimeout(policy.connectTimeout, now: timers.now)
                if requestComplete { attempt.armPerTryTimeout(policy.perTryTimeout, now: timers.now) }
                if attempt.nextDeadline != 0 { armTimer() }
                return
            }
            outcome = .reset
        case .invalidResponse(let parse):
            outcome = .protocolError
            cause = "\(parse.kind)"
        case .cancelled:
            outcome = attempt.timedOut ?? .reset
        }
        self.attempt = nil
        attemptEnded(outcome: outcome, cause: cause, reused: attempt.reused)
    }

    /// An attempt ended without a response: retry it, or answer the caller.
    private func attemptEnded(outcome: AttemptOutcome, cause: String, reused: Bool) {
        if outcome == .perTryTimeout {
            record.flags.insert(.perTryTimeout)
            state.counters.perTryTimeouts.add(1, ordering: .relaxed)
        }
        endAttempt(outcome)
        if let reason = retryReason(for: outcome) { return startRetry(reason) }
        finish(with: reply(for: outcome, cause: cause, reused: reused))
    }

    /// The `retryOn` condition under which `outcome` is retried now, or nil (and why not, in
    /// the record, when a retry was otherwise due).
    private func retryReason(for outcome: AttemptOutcome) -> String? {
        guard !responseStarted else { return nil }
        let request = RetryState.Request(
            complete: requestComplete || bodiless, replayable: replayable, idempotent: isIdempotent, retries: record.retries,
            deadlinePassed: routeDeadline != 0 && timers.now >= routeDeadline)
        switch retry.decide(outcome, request) {
        case .success(let reason):
            for filter in filters.retryAllowed {
                if let refusal = filter.retryAllowed(self) {
                    record.note = refusal.note
                    return nil
                }
            }
            return reason
        case .failure(let refusal):
            if refusal == .attemptsExhausted { record.flags.insert(.retryLimitExceeded) }
            if let note = refusal.note { record.note = note }
            return nil
        }
    }

    private func startRetry(_ reason: String) {
        let last = record.attempts.count - 1
        record.attempts[last].retryReason = reason
        let delay = state.backoff(retry: record.retries + 1)
        record.attempts[last].backoff = delay
        if delay == 0 { return startAttempt() }
        retryTimer = timers.schedule(at: timers.now &+ delay) { [weak self] in
            guard let self else { return }
            self.retryTimer = nil
            if self.active { self.startAttempt() }
        }
    }

    /// The local reply for a request whose last attempt ended with `outcome` (no response).
    private func reply(for outcome: AttemptOutcome, cause: String, reused: Bool) -> LocalReply {
        var reply: LocalReply
        switch outcome {
        case .connectFailure:
            reply = LocalReply(status: 503, message: "upstream connect error: \(cause)", flags: .upstreamConnectionFailure)
            // The local app refused: nothing of the request reached it; the caller may go elsewhere.
            if isInbound { reply.marker = ProxyHeaders.appUnreachable }
        case .connectTimeout:
            reply = LocalReply(status: 503, message: "upstream connect timeout: not connected within \(Self.text(policy.connectTimeout))",
                               flags: .upstreamConnectionFailure)
            if isInbound { reply.marker = ProxyHeaders.appUnreachable }
        case .reset:
            reply = LocalReply(status: 502, message: "upstream reset before the response", flags: .upstreamConnectionTermination)
            // The app died with the connection just opened: an idempotent request may go elsewhere.
            if isInbound, !reused, bodiless, isIdempotent { reply.marker = ProxyHeaders.appUnreachable }
        case .perTryTimeout:
            reply = LocalReply(status: 504, message: "upstream per-try timeout: no response within \(Self.text(policy.perTryTimeout))",
                               flags: .upstreamRequestTimeout)
        case .protocolError:
            reply = LocalReply(status: 502, message: "upstream sent an invalid response (\(cause))", flags: .upstreamProtocolError)
        case .response(let status), .appUnreachable(let status):
            reply = LocalReply(status: status, message: "upstream answered \(status)", flags: [])
        case .abandoned:
            reply = LocalReply(status: 504, message: "upstream request abandoned", flags: .upstreamRequestTimeout)
        }
        if record.retries > 0 { reply.message += " (after \(record.attempts.count) attempts)" }
        return reply
    }

    // MARK: timeouts

    /// Starts the current attempt's per-try timeout (the request has arrived).
    private func armPerTry() {
        guard let attempt, policy.perTryTimeout > 0 else { return }
        attempt.armPerTryTimeout(policy.perTryTimeout, now: timers.now)
        armTimer()
    }

    /// The earliest of two deadlines (0: none).
    private static func earliest(_ a: UInt64, _ b: UInt64) -> UInt64 {
        a == 0 ? b : b == 0 ? a : min(a, b)
    }

    private func armTimer() {
        let next = Self.earliest(Self.earliest(Self.earliest(routeDeadline, bodyDeadline), attempt?.nextDeadline ?? 0), faultHeldUntil)
        guard next != 0 else { return }
        // One timer per connection: one that fires early finds its deadline moved and re-arms,
        // so a busy connection schedules about one timer per timeout period, not per request.
        if let timer {
            guard next < timerAt else { return }
            timers.cancel(timer)
        }
        timerAt = next
        timer = timers.schedule(at: next) { [weak self] in self?.timerFired() }
    }

    private func timerFired() {
        timer = nil
        guard active else { return }
        let now = timers.now
        if faultHeldUntil != 0, now >= faultHeldUntil {
            faultHeldUntil = 0
            if let reply = faultReply {
                faultReply = nil
                return finish(with: reply)
            }
            startAttempt()
            guard active else { return }
        }
        if bodyDeadline != 0, now >= bodyDeadline {
            bodyDeadline = 0
            if callerPaused, parked {
                // The body stopped because no connection freed up: the pool's fault, not the caller's.
                state.counters.overflows.add(1, ordering: .relaxed)
                record.circuit = "overflow"
                return finish(with: LocalReply(status: 503, message: "upstream overflow: no connection to '\(destination)' within \(Self.text(state.bodyTimeout))",
                                               flags: .upstreamOverflow))
            }
            if callerPaused {
                // The upstream stopped taking the body.
                return finish(with: LocalReply(status: 504, message: "upstream stopped reading the request body for \(Self.text(state.bodyTimeout))",
                                               flags: .upstreamRequestTimeout))
            }
            record.flags.insert(.requestBodyTimeout)
            return finish(with: LocalReply(status: 408, message: "request body timeout: no progress within \(Self.text(state.bodyTimeout))",
                                           flags: .requestBodyTimeout))
        }
        if let attempt, attempt.nextDeadline != 0, now >= attempt.nextDeadline {
            // Its connection closes; the failure goes on to a retry or an answer.
            attempt.expire(now: now)
            guard active else { return }
        }
        if routeDeadline != 0, now >= routeDeadline {
            routeDeadline = 0
            state.counters.timeouts.add(1, ordering: .relaxed)
            record.flags.insert(.upstreamRequestTimeout)
            return finish(with: LocalReply(status: 504, message: "upstream request timeout: no response within \(Self.text(routeTimeout))",
                                           flags: .upstreamRequestTimeout))
        }
        armTimer()
    }

    // MARK: ending

    /// Answers with `reply` (or cuts the connection if a response already started), then ends.
    private func finish(with reply: LocalReply) {
        record.flags.formUnion(reply.flags)
        endAttempt(.abandoned(timedOut: reply.flags.contains(.upstreamRequestTimeout)))
        if responseStarted {
            downstream?.abort()
            return finish()
        }
        guard let downstream else { return finish() }
        responseStarted = true
        record.status = reply.status
        state.counters.localReplies.add(1, ordering: .relaxed)
        var body: [UInt8]
        if let own = reply.body {
            body = own
        } else {
            body = []
            JSONWriter.object(into: &body) {
                $0.field("error", string: reply.message)
                $0.field("responseFlags", string: record.flags.codeText)
            }
            body.append(10)
        }
        record.responseBytes = body.count
        var explainLine: [UInt8] = []
        appendExplain(into: &explainLine)
        // Finish first: the reply may start the next pipelined request at once.
        finish()
        downstream.respond(status: reply.status, headers: { out in
            if reply.body == nil { out.append(contentsOf: ProxyHeaders.jsonContentType) }
            out.append(contentsOf: reply.headerLines)
            out.append(contentsOf: reply.marker)
            out.append(contentsOf: explainLine)
        }, body: body)
    }

    private func finish() {
        guard active else { return }
        endAttempt(.abandoned(timedOut: record.flags.contains(.upstreamRequestTimeout)))
        active = false
        recordMetrics()
        routeDeadline = 0
        bodyDeadline = 0
        faultHeldUntil = 0
        faultReply = nil
        if let retryTimer { timers.cancel(retryTimer) }
        retryTimer = nil
        if let attempt {
            self.attempt = nil
            attempt.detach()
        }
        for filter in filters.requestEnded { filter.requestEnded(self) }
        parked = false
    }

    /// Counts the request that ends in the loop's metrics, from its decision record.
    private func recordMetrics() {
        let now = timers.now
        let nanoseconds = now > record.startedAt ? now - record.startedAt : 0
        let accessLog = state.activeAccessLog
        if isInbound {
            state.metrics.record(reporter: .destination, source: caller, destination: state.service, destinationVersion: state.version,
                                 responseCode: record.status, flags: record.flags.rawValue, nanoseconds: nanoseconds)
            accessLog?.append(reporter: .destination, source: caller, destination: state.service, version: state.version,
                              request: accessEntry, nanoseconds: nanoseconds)
            recordSpan(peer: caller, endedAt: now)
        } else {
            let destination = destination.isEmpty ? "unknown" : destination
            let version = endpoint?.version ?? version ?? "unknown"
            state.metrics.record(reporter: .source, source: metricsSource, destination: destination, destinationVersion: version,
                                 responseCode: record.status, flags: record.flags.rawValue, nanoseconds: nanoseconds)
            accessLog?.append(reporter: .source, source: metricsSource, destination: destination, version: version,
                              request: accessEntry, nanoseconds: nanoseconds)
            recordSpan(peer: destination, endedAt: now)
        }
    }

    /// This hop's span of a sampled trace, to the control plane (through the loop's span log).
    private func recordSpan(peer: String, endedAt: UInt64) {
        guard traceFlags & 1 != 0, let spanLog = state.spanLog else { return }
        spanLog.append(SpanLog.Span(traceHigh: traceHigh, traceLow: traceLow, span: spanID, parent: parentSpan, server: isInbound, peer: peer,
                                    method: record.method, path: record.path, status: record.status, flags: record.flags,
                                    startedAt: record.startedAt, endedAt: endedAt, attempts: record.attempts, fault: record.fault))
    }

    /// What the access log reads from the decision record, field by field (handing it the
    /// whole record would copy every one of its references first).
    private var accessEntry: AccessLog.Request {
        AccessLog.Request(traceHigh: traceHigh, traceLow: traceLow, endpoint: record.attempts.last?.endpoint, method: record.method,
                          path: record.path, status: record.status, flags: record.flags, attempts: record.attempts.count,
                          responseBytes: record.responseBytes, fault: record.fault)
    }

    /// The caller's service as metrics name it (inbound): from its certificate, else from the
    /// `x-meshbed-source` header its sidecar adds (kept while it repeats), else `unknown`.
    private func callerForMetrics(_ head: HTTPRequestHead) -> String {
        if let callerService { return callerService }
        guard let value = head.headers.firstValue("x-meshbed-source"), !value.isEmpty else { return "unknown" }
        if !value.elementsEqual(lastSourceHeader) {
            lastSourceHeader = Array(value)
            lastSource = String(decoding: value, as: UTF8.self)
        }
        return lastSource
    }

    private func resetRequest() {
        destination = ""
        version = nil
        shared = nil
        balancer = nil
        outlier = nil
        holdsBudgetRetry = false
        holdsRequestSlot = false
        waitsForConnection = false
        routeMirror = nil
        mirrorVersion = nil
        endpoint = nil
        tried.removeAll(keepingCapacity: true)
        record.reset()
        requestComplete = false
        responseStarted = false
        attemptInFlight = false
        callerPaused = false
        replayable = true
        recordingBody = false
        if replay.capacity > Self.replayLimit * 2 { replay = [] } else { replay.removeAll(keepingCapacity: true) }
        if case .inbound = mode { policy = .inbound } else { policy = .default }
        retry = .none
        routeTimeout = 0
        faultHeldUntil = 0
        faultReply = nil
        clientFaults = nil
    }

    // MARK: helpers

    /// Whether the whole request body is kept (a retry or a mirror can send it again).
    var bodyReplayable: Bool { bodiless || replayable }
    /// Whether the request is a HEAD.
    var isHEADRequest: Bool { isHEAD }

    /// The request as sent upstream, marked as a mirror copy (`x-meshbed-mirror: 1`).
    func mirrorCopy() -> [UInt8] {
        var copy: [UInt8] = []
        copy.reserveCapacity(upstreamHead.count + Self.mirrorMark.count + replay.count)
        copy.append(contentsOf: upstreamHead.dropLast(2))
        copy.append(contentsOf: Self.mirrorMark)
        copy.append(contentsOf: replay)
        return copy
    }

    private static let mirrorMark: [UInt8] = Array("x-meshbed-mirror: 1\r\n\r\n".utf8)

    private var isInbound: Bool {
        if case .inbound = mode { true } else { false }
    }

    private static let one: [UInt8] = [UInt8(ascii: "1")]
    private static let explainName: [UInt8] = Array("x-meshbed-explain: ".utf8)

    /// Appends this sidecar's `x-meshbed-explain` line when the caller asked for it.
    private func appendExplain(into out: inout [UInt8]) {
        guard explain else { return }
        out.append(contentsOf: Self.explainName)
        record.appendJSON(sidecar: state.instance, mode: mode.name, into: &out)
        out.append(13)
        out.append(10)
    }

    static func text(_ nanoseconds: UInt64) -> String {
        Duration.nanoseconds(Int64(clamping: nanoseconds)).meshbedDescription
    }

    /// The request line and head sent upstream: origin-form target, forwarded fields,
    /// then this hop's framing and the caller's identity.
    private func writeUpstreamHead(_ head: HTTPRequestHead, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: head.methodBytes)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: head.path)
        if let query = head.query {
            out.append(UInt8(ascii: "?"))
            out.append(contentsOf: query)
        }
        out.append(contentsOf: ProxyHeaders.version11)
        ProxyHeaders.appendForwarded(head.headers, dropping: isInbound ? .request : .requestFromApp, into: &out)
        out.append(contentsOf: ProxyHeaders.traceparentName)
        TraceParent.append(traceHigh: traceHigh, traceLow: traceLow, span: spanID, flags: traceFlags, into: &out)
        out.append(13)
        out.append(10)
        if head.authority != nil || !head.headers.contains("host") {
            // Absolute-form (http_proxy) requests carry the destination in the target.
            HTTPSerializer.appendHeader(name: "host", value: ArraySlice(destination.utf8), into: &out)
        } else if let host = head.headers.firstValue("host") {
            HTTPSerializer.appendHeader(name: "host", value: host, into: &out)
        }
        requestChunked = false
        switch head.framing {
        case .chunked:
            requestChunked = true
            out.append(contentsOf: ProxyHeaders.chunked)
        case .contentLength(let n):
            HTTPSerializer.appendHeader(name: "content-length", decimal: n, into: &out)
        case .none, .untilClose:
            break
        }
        out.append(contentsOf: sourceLine)
        out.append(contentsOf: identityLine)
        out.append(13)
        out.append(10)
    }

    /// The service `head` is for (see `destinationService(_:)`), remembered for the next
    /// request of the connection, which usually names the same one.
    func destinationService(of head: HTTPRequestHead) -> String? {
        guard let authority = head.authority ?? head.headers.firstValue("host") else { return nil }
        if let lastService, authority.elementsEqual(lastAuthority) { return lastService }
        guard let service = Self.destinationService(head) else { return nil }
        lastAuthority = Array(authority)
        lastService = service
        return service
    }

    /// The service a request is for: the authority of an absolute-form target, else the
    /// Host header, without port, lower-cased.
    static func destinationService(_ head: HTTPRequestHead) -> String? {
        guard let authority = head.authority ?? head.headers.firstValue("host"), !authority.isEmpty else { return nil }
        var host = authority[...]
        if let at = host.lastIndex(of: UInt8(ascii: "@")) { host = host[(at + 1)...] }
        if host.first != UInt8(ascii: "["), let colon = host.lastIndex(of: UInt8(ascii: ":")) { host = host[..<colon] }
        return String(decoding: host.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
