/// The stream an HTTP connection runs on, with a direct path for a plain TCP connection: the
/// common case calls `TCPConnection` itself (statically, so the optimizer can inline its
/// small methods) and pays nothing for the seam; any other `ByteStream` (TLS, fault stages)
/// goes through the protocol.
public enum StreamRef {
    case tcp(TCPConnection)
    case other(any ByteStream)

    /// Wraps `stream`, taking the direct path when it is a TCP connection.
    @inlinable
    public init(_ stream: any ByteStream) {
        if let tcp = stream as? TCPConnection { self = .tcp(tcp) } else { self = .other(stream) }
    }

    /// The stream as a `ByteStream`.
    @inlinable
    public var stream: any ByteStream {
        switch self {
        case .tcp(let tcp): tcp
        case .other(let stream): stream
        }
    }

    @inlinable public var loop: EventLoop {
        switch self {
        case .tcp(let tcp): tcp.loop
        case .other(let stream): stream.loop
        }
    }

    @inlinable public var isClosed: Bool {
        switch self {
        case .tcp(let tcp): tcp.isClosed
        case .other(let stream): stream.isClosed
        }
    }

    @inlinable public var isWritable: Bool {
        switch self {
        case .tcp(let tcp): tcp.isWritable
        case .other(let stream): stream.isWritable
        }
    }

    @inlinable public var peerClosedWrite: Bool {
        switch self {
        case .tcp(let tcp): tcp.peerClosedWrite
        case .other(let stream): stream.peerClosedWrite
        }
    }

    @inlinable public func write(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .tcp(let tcp): tcp.write(bytes)
        case .other(let stream): stream.write(bytes)
        }
    }

    @inlinable public func appendOutbound(_ body: (inout [UInt8]) -> Void) {
        switch self {
        case .tcp(let tcp): tcp.withOutboundBuffer(body)
        case .other(let stream): stream.appendOutbound(body)
        }
    }

    @inlinable public func flush() {
        switch self {
        case .tcp(let tcp): tcp.flush()
        case .other(let stream): stream.flush()
        }
    }

    @inlinable public func pauseReading() {
        switch self {
        case .tcp(let tcp): tcp.pauseReading()
        case .other(let stream): stream.pauseReading()
        }
    }

    @inlinable public func resumeReading() {
        switch self {
        case .tcp(let tcp): tcp.resumeReading()
        case .other(let stream): stream.resumeReading()
        }
    }

    @inlinable public func closeGracefully() {
        switch self {
        case .tcp(let tcp): tcp.closeGracefully()
        case .other(let stream): stream.closeGracefully()
        }
    }

    @inlinable public func close() {
        switch self {
        case .tcp(let tcp): tcp.close()
        case .other(let stream): stream.close()
        }
    }
}
