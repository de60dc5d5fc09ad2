import MeshCore
import MeshHTTP
import MeshHTTPIO
import MeshIO

/// Which listener a proxied request came in on, which decides where it goes.
enum ProxyMode: Sendable {
    /// From the local app: the destination is the service named by the request.
    case outbound(source: String)
    /// From a peer sidecar: the destination is the local app.
    case inbound(app: SocketAddress)
    /// The ingress: the destination is the service named by the `Host` header.
    case gateway
}

/// Proxies one downstream connection's requests, one exchange at a time, streaming
/// bodies both ways with backpressure:
///
///     downstream ─head─▶ route ─▶ pool.checkout ─▶ upstream
///     downstream ─body─▶ (pause downstream while upstream is not writable) ─▶ upstream
///     downstream ◀─head/body─ (pause upstream while downstream is not writable) ◀─ upstream
///
/// Errors before the response starts become 502/503/504/404 with a JSON body; after, the
/// downstream connection is aborted (a half-sent response cannot be repaired).
///
/// An endpoint that refuses the connection (or resets a new one before any response) is
/// marked failed in the loop's passive health, and the request goes once to another
/// endpoint of the same choice when nothing of it reached the failed one (a refused
/// connection, before any body byte was handed over) or when it is idempotent and bodiless.
/// The same holds for an instance whose sidecar answers that its app refused the connection
/// (a 503 marked `x-meshbed-proxy: app-unreachable`) or reset a new one before answering an
/// idempotent bodiless request (a 502 marked the same way), for bodiless requests: that
/// answer is read and dropped, and the request goes to another endpoint.
/// An upstream that has not answered within the upstream timeout of the request's end (or
/// a request body that made no progress for that long) gets its connection closed (never
/// pooled) and the caller a 504.
final class ProxyHandler: HTTPRequestHandler, HTTPClientResponseHandler {
    private let mode: ProxyMode
    private let state: ProxyLoopState
    private weak var exchange: HTTPServerConnection?
    private var upstream: HTTPClientConnection?
    private var requestChunked = false
    private var requestSent = false
    private var responseStarted = false
    /// Whether the current request may be sent again on a fresh connection if a reused
    /// one turns out dead before any response byte (idempotent, bodiless, not yet retried).
    private var retryable = false
    private var target: SocketAddress?
    private var isHEAD = false
    private var scratch: [UInt8] = []
    /// The destination service and routing decision of the current request (outbound and
    /// gateway modes), for a failover to another endpoint.
    private var service = ""
    private var decision: RoutingDecision?
    /// Whether the current request went to another endpoint already.
    private var failedOver = false
    /// Whether body bytes of the current request were handed to the upstream connection.
    private var bodyForwarded = false
    /// Whether the current request is idempotent and bodiless (may be repeated).
    private var repeatable = false
    /// Whether the current upstream connection came from the pool already connected.
    private var reused = false
    /// Whether the current request has no body (it can be sent again from `scratch`).
    private var bodiless = false
    /// Where the request goes next while an `app-unreachable` 503 is read and dropped.
    private var failoverTarget: SocketAddress?
    /// The upstream timeout: when the current exchange's answer is due (loop time; 0: none),
    /// its timer (armed at most once per timeout period), and whether it fired.
    private var deadline: UInt64 = 0
    private var timer: TimerID?
    private var timedOut = false

    init(mode: ProxyMode, state: ProxyLoopState) {
        self.mode = mode
        self.state = state
        scratch.reserveCapacity(1024)
    }

    deinit {
        // The downstream connection is gone (on the loop thread): its timer goes with it, so
        // short-lived connections do not leave a closure each in the loop for a whole timeout.
        if let timer { state.loop.cancel(timer) }
    }

    // MARK: downstream

    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {
        self.exchange = exchange
        responseStarted = false
        requestSent = false
        failedOver = false
        bodyForwarded = false
        timedOut = false
        decision = nil
        let target: SocketAddress
        var destination = ""
        switch mode {
        case .inbound(let app):
            target = app
        case .outbound, .gateway:
            guard let service = Self.destinationService(head) else {
                return fail(400, "the request names no destination: send Host: SERVICE or an absolute-form URL")
            }
            destination = service
            self.service = service
            do {
                let decision = try state.route(service: service, head: head)
                self.decision = decision
                target = decision.endpoint.address
            } catch {
                switch error {
                case .unknownService: return fail(404, "no service '\(service)' in the mesh")
                case .noRouteMatched: return fail(404, "no route to '\(service)' matches this request")
                case .noHealthyUpstream(let version):
                    return fail(503, "no healthy upstream for '\(service)'" + (version.map { " version \($0)" } ?? ""))
                }
            }
        }
        let connection: HTTPClientConnection
        do {
            connection = try state.pool.checkout(target)
        } catch {
            return fail(503, "upstream connect error: \(error)")
        }
        upstream = connection
        self.target = target
        isHEAD = head.method == .head
        bodiless = head.framing == .none
        failoverTarget = nil
        repeatable = bodiless && (head.method == .get || head.method == .head || head.method == .options)
        // A pooled connection the upstream closed a moment ago fails on first use: like other
        // HTTP clients, send an idempotent bodiless request once more on a new connection.
        reused = connection.isConnected
        retryable = reused && repeatable
        scratch.removeAll(keepingCapacity: true)
        writeUpstreamHead(head, destination: destination, into: &scratch)
        scratch.withUnsafeBytes { connection.send($0, isHEAD: isHEAD, handler: self) }
        // From the head on: a body that stops coming (or an upstream that stops taking it)
        // is bounded too; each body piece pushes the deadline on, requestEnd restarts it.
        startUpstreamTimer()
    }

    func requestBody(_ bytes: UnsafeRawBufferPointer, on exchange: HTTPServerConnection) {
        guard let upstream else { return }
        bodyForwarded = true
        if deadline != 0 { deadline = state.loop.now &+ state.upstreamTimeout }
        if requestChunked {
            scratch.removeAll(keepingCapacity: true)
            HTTPSerializer.appendChunk(bytes, into: &scratch)
            scratch.withUnsafeBytes { upstream.writeBody($0) }
        } else {
            upstream.writeBody(bytes)
        }
        if !upstream.isWritable { exchange.pauseRequestBody() }
    }

    func requestEnd(on exchange: HTTPServerConnection) {
        requestSent = true
        guard let upstream else { return }
        startUpstreamTimer()
        guard requestChunked else { return }
        bodyForwarded = true
        scratch.removeAll(keepingCapacity: true)
        HTTPSerializer.appendLastChunk(into: &scratch)
        scratch.withUnsafeBytes { upstream.writeBody($0) }
    }

    func responseWritable(on exchange: HTTPServerConnection) {
        upstream?.resumeReading()
    }

    func exchangeAborted(on exchange: HTTPServerConnection) {
        // The downstream is gone: this upstream connection is mid-exchange and cannot be reused.
        // Forget the exchange first, so that the failure the close reports starts nothing new.
        deadline = 0
        failoverTarget = nil
        let upstream = self.upstream
        self.upstream = nil
        self.exchange = nil
        upstream?.close()
    }

    // MARK: upstream

    func responseHead(_ head: HTTPResponseHead, on connection: HTTPClientConnection) {
        guard let exchange else { return }
        // A 503 says the app refused: nothing reached it, so any bodiless request may go on.
        // A 502 says it reset a new connection: only an idempotent request may be repeated.
        if head.status == 503 ? bodiless : (head.status == 502 && repeatable), !failedOver, let decision, let target,
           let marker = head.headers.firstValue("x-meshbed-proxy"), marker.elementsEqual(ProxyHeaders.appUnreachableValue) {
            // The instance's app is gone and the request never reached it: try another one.
            state.markFailed(target)
            if let other = state.alternative(to: decision, service: service) {
                failedOver = true
                failoverTarget = other.address
                return  // this 503's body is dropped; responseEnd sends the request on
            }
        }
        responseStarted = true
        retryable = false
        let length: Int? = if case .contentLength(let n) = head.framing { Int(n) } else { nil }
        let drop: ProxyHeaders.Drop = if case .inbound = mode { .responseFromApp } else { .responseFraming }
        exchange.sendHead(status: head.status, contentLength: length) { out in
            ProxyHeaders.appendForwarded(head.headers, dropping: drop, into: &out)
        }
    }

    func responseBody(_ bytes: UnsafeRawBufferPointer, on connection: HTTPClientConnection) {
        guard let exchange, failoverTarget == nil else { return }
        exchange.writeBody(bytes)
        if !exchange.isWritable { connection.pauseReading() }
    }

    func responseEnd(on connection: HTTPClientConnection) {
        upstream = nil
        if let next = failoverTarget {
            failoverTarget = nil
            state.pool.checkin(connection)
            target = next
            if resend(to: next) { return }
            deadline = 0
            return fail(503, "upstream connect error: no instance could be reached")
        }
        deadline = 0
        if requestSent {
            state.pool.checkin(connection)
        } else {
            // The upstream answered before the request body was all sent (an early 413, say):
            // the rest of the body would be read as the next request, so this connection ends here.
            connection.close()
        }
        exchange?.endResponse()
    }

    func requestWritable(on connection: HTTPClientConnection) {
        exchange?.resumeRequestBody()
    }

    func exchangeFailed(_ error: HTTPClientError, on connection: HTTPClientConnection) {
        upstream = nil
        guard exchange != nil else {
            deadline = 0
            return
        }
        if let next = failoverTarget, !timedOut {
            // Lost while dropping an app-unreachable 503: go on to the other endpoint all the same.
            failoverTarget = nil
            target = next
            if resend(to: next) { return }
        }
        if !responseStarted, !timedOut, let target {
            if case .connectionLost = error, retryable {
                retryable = false
                // scratch still holds the request head: a bodiless request wrote nothing else.
                if resend(to: target) { return }
            }
            // Refused, or reset on a new connection before any response: the endpoint is
            // gone (its removal from the snapshot may not have arrived yet).
            let unreachable: Bool
            switch error {
            case .connectFailed: unreachable = true
            case .connectionLost: unreachable = !reused
            default: unreachable = false
            }
            if unreachable {
                state.markFailed(target)
                // Nothing reached it when it refused (unless body bytes were handed over);
                // an idempotent bodiless request may be repeated in any case.
                let safe: Bool = if case .connectFailed = error { !bodyForwarded } else { repeatable }
                if safe, !failedOver, let decision, let other = state.alternative(to: decision, service: service) {
                    failedOver = true
                    self.target = other.address
                    if resend(to: other.address) { return }
                }
            }
        }
        deadline = 0
        if responseStarted {
            exchange?.abort()
            return
        }
        if timedOut {
            return fail(504, "upstream timeout: no response within \(Duration.nanoseconds(Int64(clamping: state.upstreamTimeout)).meshbedDescription)")
        }
        failoverTarget = nil
        if case .connectFailed(let cause) = error, case .inbound = mode {
            // The local app refused: nothing of the request reached it; the caller may go elsewhere.
            return fail(503, "upstream connect error: \(cause)", marker: ProxyHeaders.appUnreachable)
        }
        if case .connectionLost = error, case .inbound = mode, !reused, repeatable {
            // The app died with the connection just opened: an idempotent request may go elsewhere.
            return fail(502, "upstream reset before the response", marker: ProxyHeaders.appUnreachable)
        }
        switch error {
        case .connectFailed(let cause): fail(503, "upstream connect error: \(cause)")
        case .connectionLost: fail(502, "upstream reset before the response")
        case .invalidResponse(let parse): fail(502, "upstream sent an invalid response (\(parse.kind))")
        case .cancelled: fail(504, "upstream request cancelled")
        }
    }

    /// Sends the request head in `scratch` (the whole request, when bodiless or when no body
    /// byte was handed over) again, on a new connection to `address`.
    private func resend(to address: SocketAddress) -> Bool {
        guard let fresh = try? HTTPClientConnection.connect(to: address, on: state.loop) else { return false }
        upstream = fresh
        retryable = false
        reused = false
        scratch.withUnsafeBytes { fresh.send($0, isHEAD: isHEAD, handler: self) }
        return true
    }

    // MARK: upstream timeout

    /// Starts the upstream timeout for the current exchange. The one timer is armed only when
    /// none is: one that fires early finds the deadline moved and re-arms itself, so a busy
    /// connection schedules about one timer per timeout period, not one per request.
    private func startUpstreamTimer() {
        guard state.upstreamTimeout > 0 else { return }
        deadline = state.loop.now &+ state.upstreamTimeout
        if timer == nil { armTimer(at: deadline) }
    }

    private func armTimer(at time: UInt64) {
        timer = state.loop.schedule(at: time) { [weak self] in self?.timerFired() }
    }

    private func timerFired() {
        timer = nil
        guard deadline != 0 else { return }
        if state.loop.now < deadline { return armTimer(at: deadline) }
        deadline = 0
        guard let upstream, exchange != nil else { return }
        // No answer in time (a stopped instance, say): this connection is mid-exchange and
        // is closed; exchangeFailed(.cancelled) answers 504 (or cuts a started response).
        // Not marked failed: one slow answer is no sign the endpoint is gone (outlier
        // detection over several failures arrives with the circuit breaker).
        timedOut = true
        upstream.close()
    }

    // MARK: helpers

    /// Answers the current exchange with `status` and a one-line JSON error, marked as
    /// generated by this proxy (`marker`).
    private func fail(_ status: Int, _ message: String, marker: [UInt8] = ProxyHeaders.generatedByProxy) {
        guard let exchange else { return }
        responseStarted = true
        var body: [UInt8] = []
        JSONWriter.object(into: &body) { $0.field("error", string: message) }
        body.append(10)
        exchange.respond(status: status, headers: { out in
            out.append(contentsOf: ProxyHeaders.jsonContentType)
            out.append(contentsOf: marker)
        }, body: body)
    }

    /// The request line and head sent upstream: origin-form target, forwarded fields,
    /// then this hop's framing and the caller's identity.
    private func writeUpstreamHead(_ head: HTTPRequestHead, destination: String, into out: inout [UInt8]) {
        out.append(contentsOf: head.methodBytes)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: head.path)
        if let query = head.query {
            out.append(UInt8(ascii: "?"))
            out.append(contentsOf: query)
        }
        out.append(contentsOf: ProxyHeaders.version11)
        let fromPeer = if case .inbound = mode { true } else { false }
        ProxyHeaders.appendForwarded(head.headers, dropping: fromPeer ? .request : .requestFromApp, into: &out)
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
        switch mode {
        case .outbound(let source):
            HTTPSerializer.appendHeader(name: "x-meshbed-source", value: ArraySlice(source.utf8), into: &out)
        case .gateway:
            HTTPSerializer.appendHeader(name: "x-meshbed-source", value: "ingress", into: &out)
        case .inbound:
            break
        }
        out.append(13)
        out.append(10)
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
