import MeshHTTP
import MeshHTTPIO
import MeshIO

/// One request on its own connection whose whole (small) response is collected, for the
/// control path: heartbeats, snapshot polls, health probes. Not for proxied traffic.
final class OneShotRequest: HTTPClientResponseHandler {
    /// What came back: status and body, or nil when the exchange failed or timed out.
    typealias Completion = ((status: Int, body: [UInt8])?) -> Void

    private var completion: Completion?
    private var status = 0
    private var body: [UInt8] = []
    private var timer: TimerID?
    private var connection: HTTPClientConnection?
    private let loop: EventLoop
    private static let maxBody = 4 * 1024 * 1024

    private init(loop: EventLoop, completion: @escaping Completion) {
        self.loop = loop
        self.completion = completion
    }

    /// Sends `method path` with `body` (JSON) to `address`; `completion` runs once, on `loop`.
    static func send(_ method: String, _ path: String, body: [UInt8] = [], to address: SocketAddress,
                     on loop: EventLoop, timeout: UInt64, completion: @escaping Completion) {
        let request = OneShotRequest(loop: loop, completion: completion)
        var bytes = Array("\(method) \(path) HTTP/1.1\r\nhost: \(address)\r\nconnection: close\r\n".utf8)
        if method != "GET" {
            bytes.append(contentsOf: "content-type: application/json\r\ncontent-length: \(body.count)\r\n".utf8)
        }
        bytes.append(contentsOf: [13, 10])
        bytes.append(contentsOf: body)
        do {
            let connection = try HTTPClientConnection.connect(to: address, on: loop)
            request.connection = connection
            request.timer = loop.schedule(after: timeout) { [request] in
                request.timer = nil
                request.connection?.close()  // fails the exchange: completion(nil)
            }
            bytes.withUnsafeBytes { connection.send($0, handler: request) }
        } catch {
            // Report on the next loop turn, never from inside the caller.
            loop.schedule(after: 0) { [request] in request.finish(nil) }
        }
    }

    func responseHead(_ head: HTTPResponseHead, on connection: HTTPClientConnection) {
        status = head.status
    }

    func responseBody(_ bytes: UnsafeRawBufferPointer, on connection: HTTPClientConnection) {
        guard body.count + bytes.count <= Self.maxBody else {
            connection.close()
            return
        }
        body.appendBytes(bytes)
    }

    func responseEnd(on connection: HTTPClientConnection) {
        finish((status, body))
        connection.close()
    }

    func exchangeFailed(_ error: HTTPClientError, on connection: HTTPClientConnection) {
        finish(nil)
    }

    private func finish(_ result: (status: Int, body: [UInt8])?) {
        if let timer { loop.cancel(timer) }
        timer = nil
        connection = nil
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }
}
