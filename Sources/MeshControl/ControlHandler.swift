import MeshHTTP
import MeshHTTPIO

/// Reads the requests of one control-plane connection (head, then the body up to the
/// size limit) and passes each complete request to the shared `ControlState`. A body over
/// the limit is answered 413 as soon as that is known (from `content-length`, or while a
/// chunked body streams in); the connection then closes.
final class ControlHandler: HTTPRequestHandler {
    private let state: ControlState
    private let maxBodyBytes: Int

    // The current exchange.
    private var method: HTTPMethod = .get
    private var path = ""
    private var query: String?
    private var body: [UInt8] = []
    /// Already answered (413): the rest of the request is ignored.
    private var answered = false

    init(state: ControlState, maxBodyBytes: Int) {
        self.state = state
        self.maxBodyBytes = maxBodyBytes
    }

    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {
        method = head.method
        path = String(decoding: head.path, as: UTF8.self)
        query = head.query.map { String(decoding: $0, as: UTF8.self) }
        body = []
        answered = false
        if case .contentLength(let length) = head.framing, length > UInt64(maxBodyBytes) {
            tooLarge(on: exchange)
        }
    }

    func requestBody(_ bytes: UnsafeRawBufferPointer, on exchange: HTTPServerConnection) {
        guard !answered else { return }
        guard body.count + bytes.count <= maxBodyBytes else {
            tooLarge(on: exchange)
            return
        }
        body.append(contentsOf: bytes)
    }

    func requestEnd(on exchange: HTTPServerConnection) {
        guard !answered else { return }
        answered = true
        let body = self.body
        self.body = []
        state.handle(method: method, path: path, query: query, body: body, on: exchange)
    }

    func exchangeAborted(on exchange: HTTPServerConnection) {
        body = []
        state.exchangeAborted(exchange)
    }

    private func tooLarge(on exchange: HTTPServerConnection) {
        answered = true
        body = []
        let error = ControlError(status: 413, "request body too large: the limit is \(maxBodyBytes) bytes")
        ControlResponse.error(error).send(on: exchange)
    }
}
