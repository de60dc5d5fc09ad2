import MeshIO
import MeshTLS

/// Decides what each connection an HTTP server accepts runs on: a TLS session (`strict`),
/// or TLS or plaintext by the first bytes (`permissive`). Its `streamWrapper` goes into
/// `HTTPServerConfiguration.streamWrapper`. Every accepted connection is reported to
/// `onAccepted` with what it speaks (strict: always TLS), every refused handshake to
/// `onHandshakeFailure` with its reason, so a sidecar can count and log them.
public struct TLSAcceptor: Sendable {
    /// What an inbound port accepts.
    public enum Mode: Sendable, Equatable {
        /// TLS only: plaintext is a failed handshake.
        case strict
        /// TLS or plaintext, told apart by the first bytes.
        case permissive
    }

    /// The server context (credential, trusted roots).
    public var context: TLSContext
    /// Strict or permissive.
    public var mode: Mode
    /// Why a verified client is refused (nil: accepted); runs on the connection's loop.
    public var peerCheck: (@Sendable (PeerCertificate) -> String?)?
    /// Hears what each accepted connection speaks, once it is known.
    public var onAccepted: (@Sendable (SniffingStream.Transport) -> Void)?
    /// Hears the reason of every refused handshake.
    public var onHandshakeFailure: (@Sendable (String) -> Void)?
    /// Time a connection gets to complete its handshake (and, permissive, to send its first bytes).
    public var handshakeTimeout: UInt64

    /// An acceptor for `context` (a server context) in `mode`.
    public init(context: TLSContext, mode: Mode = .strict, peerCheck: (@Sendable (PeerCertificate) -> String?)? = nil,
                onAccepted: (@Sendable (SniffingStream.Transport) -> Void)? = nil,
                onHandshakeFailure: (@Sendable (String) -> Void)? = nil, handshakeTimeout: UInt64 = 10_000_000_000) {
        self.context = context
        self.mode = mode
        self.peerCheck = peerCheck
        self.onAccepted = onAccepted
        self.onHandshakeFailure = onHandshakeFailure
        self.handshakeTimeout = handshakeTimeout
    }

    /// The stream an accepted connection runs HTTP on (call on the connection's loop).
    public func wrap(_ connection: TCPConnection) -> any ByteStream & ByteStreamHandler {
        switch mode {
        case .strict:
            onAccepted?(.tls)
            return session(over: connection)
        case .permissive:
            return SniffingStream(lower: connection, timeout: handshakeTimeout, onDecided: onAccepted) { session(over: $0) }
        }
    }

    /// `wrap` as the HTTP server's hook.
    public var streamWrapper: @Sendable (TCPConnection) -> any ByteStream & ByteStreamHandler {
        { wrap($0) }
    }

    private func session(over lower: any ByteStream) -> TLSStream {
        let stream = TLSStream(lower: lower, context: context, peerCheck: peerCheck, handshakeTimeout: handshakeTimeout)
        stream.onHandshakeFailure = onHandshakeFailure
        return stream
    }
}
