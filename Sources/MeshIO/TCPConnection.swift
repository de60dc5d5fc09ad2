import CMeshbedShims
import Glibc

/// A non-blocking TCP connection owned by one event loop, from accept (or connect) to close.
///
/// Reads go into the loop's shared buffer and are handed to the handler in place; only
/// bytes the handler leaves unconsumed are copied into the connection. Writes are
/// appended to one outbound buffer and sent by `flush()` (called automatically after
/// each delivery of received bytes); whatever the socket does not take waits for EPOLLOUT.
///
/// Backpressure: `isWritable` turns false above `highWaterMark` pending bytes and the
/// handler hears `connectionWritable` once they drain below `lowWaterMark`. A handler
/// that cannot keep up calls `pauseReading()`; the kernel's receive window then pushes
/// back on the peer.
public final class TCPConnection: Selectable, ByteStream {
    /// The loop that owns this connection.
    public let loop: EventLoop
    let fd: Int32
    /// Receives this connection's events; cleared once the connection is closed.
    public var handler: ByteStreamHandler?

    private var inbound: [UInt8] = []
    private var outbound: [UInt8] = []
    private var outboundOffset = 0

    private var connecting = false
    private var readingPaused = false
    private var readEOF = false
    private var shutdownWriteRequested = false
    private var closeRequested = false
    private var writeShut = false
    private var lingering = false
    private var aboveHighWater = false
    private var delivering = false
    private var redeliver = false
    private var interest: UInt32 = 0
    private var lingerTimer: TimerID?

    /// Pending outbound bytes above which `isWritable` is false.
    public var highWaterMark = 256 * 1024
    /// Pending outbound bytes below which the handler hears `connectionWritable` again.
    public var lowWaterMark = 64 * 1024
    /// Buffers larger than this are released once empty.
    static let retainedBufferCapacity = 64 * 1024

    /// Unconsumed inbound bytes above which the connection stops reading.
    public var inboundLimit = 1024 * 1024

    /// Whether the connection is closed.
    public private(set) var isClosed = false
    /// Whether the peer has closed its sending side.
    public var peerClosedWrite: Bool { readEOF }
    /// Bytes written but not yet taken by the kernel.
    public var pendingOutboundBytes: Int { outbound.count - outboundOffset }
    /// False while pending writes are above the high-water mark.
    public var isWritable: Bool { pendingOutboundBytes < highWaterMark }

    /// The server's admission of this connection, given back when it closes (nil for outgoing ones).
    private let gate: ConnectionGate?

    init(fd: Int32, loop: EventLoop, gate: ConnectionGate? = nil) {
        self.fd = fd
        self.loop = loop
        self.gate = gate
    }

    /// Opens a connection to `address` on `loop`; `handler` (or one set before the loop next
    /// runs) hears `connectionActive` or `connectionClosed`.
    @discardableResult
    public static func connect(to address: SocketAddress, on loop: EventLoop, handler: ByteStreamHandler?) throws(IOError) -> TCPConnection {
        let fd = try Posix.socket(domain: address.family, type: Int32(SOCK_STREAM.rawValue))
        do {
            try Posix.setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
            _ = try Posix.connect(fd, address)
        } catch {
            Posix.close(fd)
            throw error
        }
        let connection = TCPConnection(fd: fd, loop: loop)
        connection.handler = handler
        connection.connecting = true
        connection.interest = EPOLLOUT.rawValue
        do {
            try loop.register(fd, connection, events: connection.interest)
        } catch {
            Posix.close(fd)
            throw error
        }
        return connection
    }

    /// Registers an accepted descriptor and tells the handler it is active. When that fails
    /// the connection is closed (its place given back) without the handler hearing of it.
    func start(handler: ByteStreamHandler) throws(IOError) {
        interest = EPOLLIN.rawValue
        do {
            try loop.register(fd, self, events: interest)
        } catch {
            isClosed = true
            Posix.close(fd)
            gate?.release()
            throw error
        }
        self.handler = handler
        handler.connectionActive(self)
    }

    // MARK: events

    func handleEvents(_ events: UInt32) {
        if connecting {
            finishConnect()
            return
        }
        if readEOF, events & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            // Both directions are down (or reset): nothing more can happen here.
            closeNow(error: events & EPOLLERR.rawValue != 0 ? IOError(code: (try? Posix.socketError(fd)) ?? ECONNRESET, function: "socket") : nil)
            return
        }
        if events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            readable()
        }
        if !isClosed, events & EPOLLOUT.rawValue != 0 {
            flush()
        }
    }

    private func finishConnect() {
        connecting = false
        let code = (try? Posix.socketError(fd)) ?? ECONNREFUSED
        if code != 0 {
            closeNow(error: IOError(code: code, function: "connect"))
            return
        }
        handler?.connectionActive(self)
        if !isClosed {
            if pendingOutboundBytes > 0 { flush() } else { updateInterest() }
        }
    }

    private func readable() {
        let buffer = loop.readBuffer
        let result: IOResult
        do {
            result = try Posix.read(fd, into: buffer)
        } catch {
            closeNow(error: error)
            return
        }
        switch result {
        case .wouldBlock:
            return
        case .processed(0):
            readEOF = true
            if lingering {
                closeNow(error: nil)
                return
            }
            updateInterest()
            handler?.connectionReadEOF(self)
        case .processed(let count):
            if lingering { return }  // discarding until the peer closes
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            if inbound.isEmpty, !delivering, !readingPaused {
                // Fast path: the handler reads the loop's buffer in place. It may close, linger,
                // pause or resume while it runs; only what it left is kept, and only if still wanted.
                delivering = true
                let consumed = handler?.connection(self, received: bytes) ?? count
                delivering = false
                if consumed < count, !isClosed, !lingering {
                    inbound.appendBytes(UnsafeRawBufferPointer(rebasing: bytes[max(0, consumed)...]))
                }
                deliverAgainIfRequested()
            } else {
                inbound.appendBytes(bytes)
                deliverInbound()
            }
            if !isClosed {
                flush()
                if inbound.count >= inboundLimit { updateInterest() }
            }
        }
    }

    /// Offers the buffered inbound bytes to the handler until it stops consuming.
    ///
    /// The handler may do anything to the connection while it runs: close it or start
    /// lingering (both discard the buffered input), pause or resume reading, ask for another
    /// delivery. So the bytes it is offered are moved out of `inbound` for the call (nothing
    /// it does can free or shrink them under it), and what it left is put back only if the
    /// connection still wants input.
    private func deliverInbound() {
        guard !delivering else {
            redeliver = true
            return
        }
        delivering = true
        while !inbound.isEmpty, !readingPaused, !isClosed, !lingering, let handler {
            var offered: [UInt8] = []
            swap(&offered, &inbound)
            let consumed = offered.withUnsafeBytes { handler.connection(self, received: $0) }
            // Closed or lingering: the input is discarded, whatever the handler consumed.
            if isClosed || lingering { break }
            let used = min(max(consumed, 0), offered.count)
            if used == offered.count, offered.capacity > Self.retainedBufferCapacity {
                offered = []
            } else {
                offered.removeFirst(used)
            }
            swap(&offered, &inbound)
            // Nothing can arrive during the call (reads happen only on readiness), but keep order if it did.
            inbound.append(contentsOf: offered)
            if used == 0 { break }
        }
        delivering = false
        updateInterest()
        deliverAgainIfRequested()
    }

    private func deliverAgainIfRequested() {
        if redeliver {
            redeliver = false
            if !inbound.isEmpty, !readingPaused, !isClosed { deliverInbound() }
        }
    }

    // MARK: reading control

    /// Stops reading from the socket until `resumeReading()`.
    public func pauseReading() {
        guard !readingPaused else { return }
        readingPaused = true
        updateInterest()
    }

    /// Resumes reading, first offering any bytes already buffered.
    public func resumeReading() {
        readingPaused = false
        guard !isClosed else { return }
        if delivering {
            // Called from the handler while it is offered bytes: offer what it leaves again after.
            redeliver = true
        } else if !inbound.isEmpty {
            deliverInbound()
        }
        if !isClosed {
            updateInterest()
            flush()
        }
    }

    /// Whether bytes are buffered that the handler has not consumed yet.
    public var hasBufferedInbound: Bool { !inbound.isEmpty }

    // MARK: writing

    /// Queues bytes for sending; call `flush()` (or return from a receive callback) to send.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosed, !shutdownWriteRequested else { return }
        outbound.appendBytes(bytes)
        if pendingOutboundBytes >= highWaterMark { aboveHighWater = true }
    }

    /// Queues bytes for sending.
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Lets `body` append directly to the outbound buffer (no intermediate copy).
    public func appendOutbound(_ body: (inout [UInt8]) -> Void) {
        withOutboundBuffer(body)
    }

    /// Lets `body` append directly to the outbound buffer (no intermediate copy).
    public func withOutboundBuffer<T>(_ body: (inout [UInt8]) -> T) -> T {
        let result = body(&outbound)
        if pendingOutboundBytes >= highWaterMark { aboveHighWater = true }
        return result
    }

    /// Sends as much of the pending bytes as the socket takes now.
    public func flush() {
        guard !isClosed, !connecting else { return }
        while outboundOffset < outbound.count {
            let offset = outboundOffset
            let result = outbound.withUnsafeBytes { buffer -> Result<IOResult, IOError> in
                Result { () throws(IOError) in try Posix.write(fd, UnsafeRawBufferPointer(rebasing: buffer[offset...])) }
            }
            guard case .success(let result) = result else {
                if case .failure(let error) = result { closeNow(error: error) }
                return
            }
            guard case .processed(let written) = result else { break }
            outboundOffset += written
        }
        if outboundOffset == outbound.count {
            outboundOffset = 0
            // Keep a small buffer for the next response; give a big one back, so thousands of
            // idle keep-alive connections do not each hold what their largest response needed.
            if outbound.capacity > Self.retainedBufferCapacity {
                outbound = []
            } else {
                outbound.removeAll(keepingCapacity: true)
            }
            if shutdownWriteRequested, !writeShut {
                writeShut = true
                try? Posix.shutdown(fd, how: Int32(SHUT_WR))
                if closeRequested {
                    startLingering()
                    return
                }
            }
        } else if outboundOffset > 1024 * 1024, outboundOffset * 2 > outbound.count {
            outbound.removeFirst(outboundOffset)
            outboundOffset = 0
        }
        updateInterest()
        if aboveHighWater, pendingOutboundBytes < lowWaterMark {
            aboveHighWater = false
            handler?.connectionWritable(self)
        }
    }

    // MARK: closing

    /// Sends what is pending, then closes the sending side (half-close); reading goes on.
    public func shutdownWrite() {
        shutdownWriteRequested = true
        flush()
    }

    /// Sends what is pending, half-closes, then discards input until the peer closes
    /// (or 2 s pass) before closing, so a final response is not destroyed by a reset.
    public func closeGracefully() {
        guard !isClosed else { return }
        closeRequested = true
        shutdownWriteRequested = true
        flush()
    }

    /// Closes at once; pending outbound bytes are dropped.
    public func close() {
        closeNow(error: nil)
    }

    /// Closes at once with a reset (RST): unsent bytes are dropped and the peer reads
    /// ECONNRESET. The handler hears `connectionClosed` with no error (the reset is ours).
    public func reset() {
        guard !isClosed else { return }
        try? Posix.setAbortiveClose(fd)
        closeNow(error: nil)
    }

    private func startLingering() {
        lingering = true
        inbound = []
        readingPaused = false
        if readEOF {
            closeNow(error: nil)
            return
        }
        updateInterest()
        lingerTimer = loop.schedule(after: 2_000_000_000) { [weak self] in
            self?.closeNow(error: nil)
        }
    }

    private func closeNow(error: IOError?) {
        guard !isClosed else { return }
        isClosed = true
        if let lingerTimer { loop.cancel(lingerTimer) }
        loop.unregister(fd)
        Posix.close(fd)
        gate?.release()
        inbound = []
        outbound = []
        let handler = self.handler
        self.handler = nil
        handler?.connectionClosed(self, error: error)
    }

    private func updateInterest() {
        guard !isClosed else { return }
        var wanted: UInt32 = 0
        if connecting {
            wanted = EPOLLOUT.rawValue
        } else {
            if !readEOF, lingering || (!readingPaused && inbound.count < inboundLimit) {
                wanted |= EPOLLIN.rawValue
            }
            if outboundOffset < outbound.count { wanted |= EPOLLOUT.rawValue }
        }
        if wanted != interest {
            interest = wanted
            try? loop.modify(fd, events: wanted)
        }
    }
}
