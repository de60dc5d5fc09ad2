import MeshCore
import MeshHTTP
import MeshHTTPIO
import MeshIO

/// Answers one connection's requests with a description of the request (SPEC §5):
/// the `x-meshbed-*` headers and a JSON body with the request's method, path,
/// headers and body length. `?delay=`, `?status=` and `?size=` shape one response.
/// `GET /healthz` is the health check: 200 at once, whatever the configured behavior
/// (latency, error rate) and without downstream calls, so an instance told to fail every
/// request is still ready and routable (meshbed's own readiness probes use it).
final class EchoHandler: HTTPRequestHandler {
    private let identity: EchoIdentity
    private let configuration: EchoConfiguration
    private var random: SeededRandom

    // The current exchange.
    private var head: HTTPRequestHead?
    private var bodyBytes: UInt64 = 0
    private var shape = EchoShape()
    private var timer: TimerID?
    private var remainingPayload = 0
    private var scratch: [UInt8] = []
    private let pool: HTTPConnectionPool?
    private var calls: DownstreamCalls?

    init(identity: EchoIdentity, configuration: EchoConfiguration, seed: UInt64, pool: HTTPConnectionPool?) {
        self.identity = identity
        self.configuration = configuration
        self.random = SeededRandom(seed: seed)
        self.pool = pool
        scratch.reserveCapacity(4096)
    }

    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {
        self.head = head
        bodyBytes = 0
        shape = EchoShape()
        if let query = head.query {
            shape.parse(query: query)
        }
    }

    func requestBody(_ bytes: UnsafeRawBufferPointer, on exchange: HTTPServerConnection) {
        bodyBytes &+= UInt64(bytes.count)
    }

    func requestEnd(on exchange: HTTPServerConnection) {
        if let head, head.path.elementsEqual(Self.healthPath) {
            self.head = nil
            exchange.respond(status: 200, headers: { out in
                out.append(contentsOf: identity.headerLines)
                out.append(contentsOf: EchoIdentity.json)
            }, body: Self.healthBody)
            return
        }
        let delay = shape.delay ?? configuration.latency
        if delay > 0 {
            timer = exchange.loop.schedule(after: delay) { [weak self, unowned exchange] in
                self?.timer = nil
                self?.respond(on: exchange)
            }
        } else {
            respond(on: exchange)
        }
    }

    /// The health check's path, answered 200 whatever the behavior.
    static let healthPath: [UInt8] = Array("/healthz".utf8)
    private static let healthBody: [UInt8] = Array("{\"status\":\"ok\"}\n".utf8)

    func responseWritable(on exchange: HTTPServerConnection) {
        if remainingPayload > 0 { writePayload(on: exchange) }
    }

    func exchangeAborted(on exchange: HTTPServerConnection) {
        if let timer { exchange.loop.cancel(timer) }
        timer = nil
        calls?.cancel()
        calls = nil
        head = nil
        remainingPayload = 0
    }

    private func respond(on exchange: HTTPServerConnection) {
        guard let head else { return }
        if let problem = shape.problem {
            scratch.removeAll(keepingCapacity: true)
            JSONWriter.object(into: &scratch) { json in
                json.field("error", string: problem)
            }
            send(status: 400, on: exchange)
            return
        }
        if !configuration.calls.isEmpty, calls == nil, let pool, let outbound = configuration.outbound {
            // Call the downstream services first; answer when all of them have.
            let pending = DownstreamCalls(pool: pool)
            calls = pending
            pending.start(configuration.calls, outbound: outbound, head: head) { [weak self, unowned exchange] results in
                self?.calls = nil
                self?.respond(on: exchange, calls: results)
            }
            return
        }
        respond(on: exchange, calls: [])
    }

    private func respond(on exchange: HTTPServerConnection, calls results: [CallResult]) {
        guard let head else { return }
        let injected = configuration.errorRate > 0 && random.percent(configuration.errorRate)
        let status = injected ? 500 : (shape.status ?? 200)
        if let size = shape.size, !injected {
            remainingPayload = size
            exchange.sendHead(status: status, contentLength: size) { out in
                out.append(contentsOf: identity.headerLines)
                out.append(contentsOf: EchoIdentity.octetStream)
            }
            writePayload(on: exchange)
            return
        }
        scratch.removeAll(keepingCapacity: true)
        identity.writeBody(head: head, bodyBytes: bodyBytes, injected: injected, calls: results, into: &scratch)
        send(status: status, on: exchange)
    }

    private func send(status: Int, on exchange: HTTPServerConnection) {
        self.head = nil
        exchange.sendHead(status: status, contentLength: scratch.count) { out in
            out.append(contentsOf: identity.headerLines)
            out.append(contentsOf: EchoIdentity.json)
        }
        scratch.withUnsafeBytes { exchange.writeBody($0) }
        exchange.endResponse()
    }

    /// Streams `?size=` bytes while the connection takes them; resumes on `responseWritable`.
    private func writePayload(on exchange: HTTPServerConnection) {
        while remainingPayload > 0, exchange.isWritable {
            let count = min(remainingPayload, EchoIdentity.payload.count)
            EchoIdentity.payload.withUnsafeBytes { exchange.writeBody(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            remainingPayload -= count
        }
        if remainingPayload == 0 {
            head = nil
            exchange.endResponse()
        }
    }
}
