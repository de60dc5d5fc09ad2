import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshMetrics

/// One `GET /v1/metrics`: the `/metrics` of every sidecar that told its admin address in
/// its heartbeats, fetched at once on the control plane's loop, added up
/// (`PrometheusAggregate`) when all of them answered or `timeout` passed; those that did not
/// answer in time (or not with a scrape) are named. Loop-confined.
final class MetricsGathering: HTTPClientResponseHandler {
    /// The sum, and the instances that gave nothing.
    typealias Completion = (_ aggregate: PrometheusAggregate, _ silent: [String]) -> Void

    /// The most a sidecar's scrape may weigh.
    static let maxBody = 8 * 1024 * 1024

    private let loop: EventLoop
    private var completion: Completion?
    private var aggregate = PrometheusAggregate()
    /// Per connection: the instance, its status, its body so far.
    private var pending: [ObjectIdentifier: (instance: String, connection: HTTPClientConnection, status: Int, body: [UInt8])] = [:]
    private var silent: [String] = []
    private var timer: TimerID?

    private init(loop: EventLoop, completion: @escaping Completion) {
        self.loop = loop
        self.completion = completion
    }

    /// Fetches `admins` (instance id and admin address); `completion` runs once, on `loop`,
    /// never from inside this call.
    static func start(_ admins: [(instance: String, address: SocketAddress)], on loop: EventLoop, timeout: UInt64,
                      completion: @escaping Completion) {
        let gathering = MetricsGathering(loop: loop, completion: completion)
        for (instance, address) in admins {
            do {
                let connection = try HTTPClientConnection.connect(to: address, on: loop)
                gathering.pending[ObjectIdentifier(connection)] = (instance, connection, 0, [])
                let request = Array("GET /metrics HTTP/1.1\r\nhost: \(address)\r\nconnection: close\r\n\r\n".utf8)
                request.withUnsafeBytes { connection.send($0, handler: gathering) }
            } catch {
                gathering.silent.append(instance)
            }
        }
        gathering.timer = loop.schedule(after: timeout) { [gathering] in
            gathering.timer = nil
            for (_, entry) in gathering.pending { entry.connection.close() }  // each fails: exchangeFailed
            gathering.finishIfDone()
        }
        loop.schedule(after: 0) { [gathering] in gathering.finishIfDone() }
    }

    private func finishIfDone() {
        guard pending.isEmpty, let completion else { return }
        self.completion = nil
        if let timer { loop.cancel(timer) }
        timer = nil
        completion(aggregate, silent.sorted())
    }

    // MARK: HTTPClientResponseHandler

    func responseHead(_ head: HTTPResponseHead, on connection: HTTPClientConnection) {
        pending[ObjectIdentifier(connection)]?.status = head.status
    }

    func responseBody(_ bytes: UnsafeRawBufferPointer, on connection: HTTPClientConnection) {
        let key = ObjectIdentifier(connection)
        guard let entry = pending[key] else { return }
        guard entry.body.count + bytes.count <= Self.maxBody else {
            connection.close()
            return
        }
        pending[key]?.body.appendBytes(bytes)
    }

    func responseEnd(on connection: HTTPClientConnection) {
        guard let entry = pending.removeValue(forKey: ObjectIdentifier(connection)) else { return }
        connection.close()
        let before = aggregate.unreadable
        if entry.status == 200 { aggregate.add(String(decoding: entry.body, as: UTF8.self)) }
        if entry.status != 200 || aggregate.unreadable > before { silent.append(entry.instance) }
        finishIfDone()
    }

    func exchangeFailed(_ error: HTTPClientError, on connection: HTTPClientConnection) {
        guard let entry = pending.removeValue(forKey: ObjectIdentifier(connection)) else { return }
        silent.append(entry.instance)
        finishIfDone()
    }
}
