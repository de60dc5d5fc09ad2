import MeshHTTP
import MeshHTTPIO
import MeshIO

/// What one downstream call returned, for the echo's `calls` array.
struct CallResult {
    var service: String
    /// The status, or nil when the call failed without a response.
    var status: Int?
    /// The response body (JSON from another echo app, or anything else).
    var body: [UInt8]
    var isJSON: Bool
    /// Why the call failed, when it did.
    var error: String?
    /// The decision records the sidecars on the call's way added to its answer
    /// (`x-meshbed-explain`, when the request asked for them), each as its header said it.
    var explain: [[UInt8]] = []
}

/// The calls an echo app makes per request (`calls:` in the topology): one GET per
/// downstream service, all at once, through the app's sidecar (`--outbound`), with the
/// request's routing and tracing headers propagated so header-based routes work down
/// the whole chain.
final class DownstreamCalls: HTTPClientResponseHandler {
    private let pool: HTTPConnectionPool
    private var pending = 0
    private var results: [CallResult] = []
    private var slots: [ObjectIdentifier: Int] = [:]
    private var completion: (([CallResult]) -> Void)?

    /// Headers copied from the incoming request to each call.
    static let propagated: [StaticString] = ["end-user", "x-request-id", "traceparent", "tracestate",
                                             "x-meshbed-explain", "user-agent"]
    private static let maxBody = 1 << 20

    init(pool: HTTPConnectionPool) {
        self.pool = pool
    }

    /// Calls every service in `services` via `outbound`; `completion` gets the results in order.
    func start(_ services: [String], outbound: SocketAddress, head: HTTPRequestHead, completion: @escaping ([CallResult]) -> Void) {
        self.completion = completion
        results = services.map { CallResult(service: $0, status: nil, body: [], isJSON: false, error: nil) }
        pending = services.count
        for (index, service) in services.enumerated() {
            var request = Array("GET / HTTP/1.1\r\nhost: \(service)\r\n".utf8)
            for name in Self.propagated {
                if let value = head.headers.firstValue(name) {
                    HTTPSerializer.appendHeader(name: name, value: value, into: &request)
                }
            }
            request.append(contentsOf: [13, 10])
            do {
                let connection = try pool.checkout(outbound)
                slots[ObjectIdentifier(connection)] = index
                request.withUnsafeBytes { connection.send($0, handler: self) }
            } catch {
                results[index].error = "\(error)"
                finishOne()
            }
        }
    }

    /// Drops the results (the incoming request went away).
    func cancel() {
        completion = nil
    }

    func responseHead(_ head: HTTPResponseHead, on connection: HTTPClientConnection) {
        guard let index = slots[ObjectIdentifier(connection)] else { return }
        results[index].status = head.status
        results[index].isJSON = head.headers.firstValue("content-type").map { $0.starts(with: "application/json".utf8) } ?? false
        results[index].explain = head.headers.values("x-meshbed-explain").map { Array($0) }
    }

    func responseBody(_ bytes: UnsafeRawBufferPointer, on connection: HTTPClientConnection) {
        guard let index = slots[ObjectIdentifier(connection)], results[index].body.count + bytes.count <= Self.maxBody else { return }
        results[index].body.appendBytes(bytes)
    }

    func responseEnd(on connection: HTTPClientConnection) {
        slots[ObjectIdentifier(connection)] = nil
        pool.checkin(connection)
        finishOne()
    }

    func exchangeFailed(_ error: HTTPClientError, on connection: HTTPClientConnection) {
        if let index = slots.removeValue(forKey: ObjectIdentifier(connection)) {
            results[index].error = "\(error)"
        }
        finishOne()
    }

    private func finishOne() {
        pending -= 1
        guard pending == 0 else { return }
        let completion = self.completion
        self.completion = nil
        completion?(results)
    }
}
