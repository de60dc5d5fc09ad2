import MeshHTTPIO

/// One answer of the control plane's API: a status and, for most, a JSON body.
struct ControlResponse {
    var status: Int
    /// JSON (ending in a newline) unless `contentType` says otherwise, or empty.
    var body: [UInt8]
    /// The `content-type` header line of a body that is not JSON.
    var contentType: [UInt8]?
    /// The `allow` header of a 405.
    var allow: String?
    /// The `x-meshbed-snapshot-version` header of a snapshot.
    var snapshotVersion: Int?

    /// 204 No Content.
    static let noContent = ControlResponse(status: 204, body: [])

    init(status: Int, body: [UInt8], contentType: [UInt8]? = nil) {
        self.status = status
        self.body = body
        self.contentType = contentType
    }

    /// `value` as JSON.
    static func json<T: Encodable>(_ value: T, status: Int = 200) -> ControlResponse {
        ControlResponse(status: status, body: ControlJSON.encode(value) + [10])
    }

    /// `{"error": "..."}` with the error's status.
    static func error(_ error: ControlError) -> ControlResponse {
        ControlResponse(status: error.status, body: ControlJSON.error(error.message) + [10])
    }

    /// Writes the whole response on `exchange`.
    func send(on exchange: HTTPServerConnection) {
        exchange.sendHead(status: status, contentLength: body.count) { out in
            if !body.isEmpty { out.append(contentsOf: contentType ?? Self.jsonHeader) }
            if let allow { out.append(contentsOf: Array("allow: \(allow)\r\n".utf8)) }
            if let snapshotVersion { out.append(contentsOf: Array("x-meshbed-snapshot-version: \(snapshotVersion)\r\n".utf8)) }
        }
        body.withUnsafeBytes { exchange.writeBody($0) }
        exchange.endResponse()
    }

    private static let jsonHeader: [UInt8] = Array("content-type: application/json\r\n".utf8)
}
