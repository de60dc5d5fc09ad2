import MeshHTTPIO

/// The caller's side of an exchange as the pipeline sees it: where the response goes and
/// how the request body is paced. `HTTPServerConnection` is the real one; the in-memory
/// harness records what it is given.
protocol DownstreamSink: AnyObject {
    var isWritable: Bool { get }
    func sendHead(status: Int, contentLength: Int?, headers: (inout [UInt8]) -> Void)
    func writeBody(_ bytes: UnsafeRawBufferPointer)
    func endResponse()
    func respond(status: Int, headers: (inout [UInt8]) -> Void, body: [UInt8])
    func pauseRequestBody()
    func resumeRequestBody()
    func abort()
}

extension HTTPServerConnection: DownstreamSink {}
