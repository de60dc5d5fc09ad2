import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshTrace

/// Pushes the spans the control plane receives to an OTLP/HTTP collector as JSON
/// (`POST /v1/traces`, `OTLPJSON`), batched by an `ExportQueue`: one request in flight on one
/// keep-alive connection, a bounded queue that drops (and counts) what a slow or absent
/// collector cannot take, failures counted and not retried. Confined to the control plane's
/// loop like `ControlState`: it never blocks it (the connection is the loop's own).
final class OTLPExporter: HTTPClientResponseHandler {
    let endpoint: OTLPEndpoint
    private let loop: EventLoop
    /// How long a request may take before it counts as failed (its connection is closed).
    private let requestTimeout: UInt64
    private(set) var queue: ExportQueue
    private var connection: HTTPClientConnection?
    private var requestTimer: TimerID?
    private var dueTimer: (id: TimerID, at: UInt64)?
    private var status = 0
    private var stopped = false

    init(endpoint: OTLPEndpoint, loop: EventLoop, queue: ExportQueue = ExportQueue(), requestTimeout: UInt64 = 5_000_000_000) {
        self.endpoint = endpoint
        self.loop = loop
        self.queue = queue
        self.requestTimeout = requestTimeout
    }

    /// Queues `spans` and sends a batch when one is due.
    func export(_ spans: [Span]) {
        guard !stopped else { return }
        queue.enqueue(spans, now: loop.now)
        pump()
    }

    /// Stops sending: timers cancelled, the connection closed (a request in flight counts as failed).
    func stop() {
        stopped = true
        if let dueTimer { loop.cancel(dueTimer.id) }
        dueTimer = nil
        connection?.close()
        connection = nil
    }

    /// Sends the due batch, or arms the timer for when one falls due.
    private func pump() {
        guard !stopped else { return }
        if let batch = queue.nextBatch(now: loop.now) {
            send(batch)
            return
        }
        guard let due = queue.nextDue else { return }
        if let dueTimer, dueTimer.at <= due { return }
        if let dueTimer { loop.cancel(dueTimer.id) }
        let id = loop.schedule(at: due) { [weak self] in
            guard let self else { return }
            self.dueTimer = nil
            self.pump()
        }
        dueTimer = (id, due)
    }

    private func send(_ batch: [Span]) {
        let body = OTLPJSON.encode(batch)
        let head = "POST \(endpoint.path) HTTP/1.1\r\nhost: \(endpoint.authority)\r\nuser-agent: meshbed-control\r\n"
            + "content-type: application/json\r\ncontent-length: \(body.count)\r\n\r\n"
        let request = Array(head.utf8) + body
        let connection: HTTPClientConnection
        if let open = self.connection, open.isReusable {
            connection = open
        } else {
            self.connection?.close()
            do {
                connection = try HTTPClientConnection.connect(to: endpoint.address, on: loop)
            } catch {
                self.connection = nil
                // Reported on the next turn, never from inside the caller (a handler).
                loop.schedule(after: 0) { [weak self] in self?.finish(success: false) }
                return
            }
            self.connection = connection
        }
        status = 0
        requestTimer = loop.schedule(after: requestTimeout) { [weak self] in
            guard let self else { return }
            self.requestTimer = nil
            self.connection?.close()  // fails the exchange: exchangeFailed
        }
        request.withUnsafeBytes { connection.send($0, handler: self) }
    }

    private func finish(success: Bool) {
        if let requestTimer { loop.cancel(requestTimer) }
        requestTimer = nil
        queue.finished(success: success)
        pump()
    }

    // MARK: HTTPClientResponseHandler

    func responseHead(_ head: HTTPResponseHead, on connection: HTTPClientConnection) {
        status = head.status
    }

    func responseEnd(on connection: HTTPClientConnection) {
        finish(success: (200..<300).contains(status))
    }

    func exchangeFailed(_ error: HTTPClientError, on connection: HTTPClientConnection) {
        if self.connection === connection { self.connection = nil }
        finish(success: false)
    }
}
