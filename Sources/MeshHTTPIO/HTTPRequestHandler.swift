import MeshHTTP

/// Answers the requests of one server connection, one exchange at a time, on the
/// connection's loop thread. Bodies stream: `requestBody` may be called many times.
public protocol HTTPRequestHandler: AnyObject {
    /// A request head arrived. The handler may respond at once or after the body.
    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection)
    /// A piece of the request body, valid only during the call.
    func requestBody(_ bytes: UnsafeRawBufferPointer, on exchange: HTTPServerConnection)
    /// The request body ended (called right after the head for bodiless requests).
    func requestEnd(on exchange: HTTPServerConnection)
    /// The response's pending bytes drained below the low-water mark: more may be written.
    func responseWritable(on exchange: HTTPServerConnection)
    /// The connection closed before the exchange finished; drop any state for it.
    func exchangeAborted(on exchange: HTTPServerConnection)
}

extension HTTPRequestHandler {
    public func requestBody(_ bytes: UnsafeRawBufferPointer, on exchange: HTTPServerConnection) {}
    public func responseWritable(on exchange: HTTPServerConnection) {}
    public func exchangeAborted(on exchange: HTTPServerConnection) {}
}
