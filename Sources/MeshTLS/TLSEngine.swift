import COpenSSL

/// One connection's TLS state on two memory BIOs: the caller carries ciphertext to and from
/// the network, the engine never touches a socket.
///
///     receive(_:)            ciphertext in  ─▶ [read BIO]  ─▶ SSL ─▶ readPlaintext(into:)
///     takeCiphertext(into:)  ciphertext out ◀─ [write BIO] ◀─ SSL ◀─ writePlaintext(_:)
///
/// A client starts with `handshake()` and sends what `takeCiphertext` gives; both sides then
/// `receive` what arrives (which advances the handshake) and send what is pending, until
/// `isHandshakeComplete`. A failed engine stays failed: every later call throws the same
/// error, and `takeCiphertext` still yields the alert OpenSSL queued for the peer.
///
/// Not Sendable: OpenSSL's `SSL` object belongs to one thread (the connection's event loop).
/// The hot path allocates nothing of its own: one 16 KiB scratch buffer, made in `init`,
/// carries every record to and from the caller's (reused) arrays.
public final class TLSEngine {
    private enum State {
        case handshaking
        case established
        case failed(TLSError)
    }

    private let ssl: OpaquePointer
    /// Ciphertext from the peer, read by SSL (owned by `ssl`).
    private let readBIO: OpaquePointer
    /// Ciphertext for the peer, written by SSL (owned by `ssl`).
    private let writeBIO: OpaquePointer
    private let scratch: UnsafeMutableRawBufferPointer
    private var state = State.handshaking

    /// The verified peer's certificate, once the handshake is complete.
    public private(set) var peerCertificate: PeerCertificate?
    /// Whether the peer sent close_notify (no more plaintext will come).
    public private(set) var isClosedByPeer = false
    /// Whether `close()` queued our close_notify (no more plaintext may be written).
    public private(set) var isClosed = false
    /// Whether everything received so far has been decrypted and handed out: `readPlaintext`
    /// then returns 0 at once, without asking OpenSSL (a failing `SSL_read` and the error
    /// check after it cost more than a record's decryption), until `receive` brings more.
    public private(set) var awaitsCiphertext = false

    /// An engine playing `context`'s role.
    public init(context: TLSContext) throws {
        ERR_clear_error()
        guard let ssl = SSL_new(context.pointer) else { throw TLSError.drainingQueue(.configuration, "SSL_new") }
        guard let readBIO = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError.drainingQueue(.configuration, "BIO_new")
        }
        guard let writeBIO = BIO_new(BIO_s_mem()) else {
            BIO_free(readBIO)
            SSL_free(ssl)
            throw TLSError.drainingQueue(.configuration, "BIO_new")
        }
        // An empty memory BIO means "no bytes yet" (retry), not end of file: the default of
        // BIO_s_mem, made explicit because the engine depends on it.
        _ = meshbed_BIO_set_mem_eof_return(readBIO, -1)
        _ = meshbed_BIO_set_mem_eof_return(writeBIO, -1)
        SSL_set_bio(ssl, readBIO, writeBIO)  // ssl owns both from here
        if context.role == .server { SSL_set_accept_state(ssl) } else { SSL_set_connect_state(ssl) }
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16_384, alignment: 16)
    }

    deinit {
        SSL_free(ssl)
        scratch.deallocate()
    }

    /// Whether the handshake finished and the peer's certificate verified.
    public var isHandshakeComplete: Bool {
        if case .established = state { return true }
        return false
    }

    /// The protocol version once the handshake is complete ("TLSv1.3"), for logs and status.
    public var negotiatedProtocol: String? {
        guard isHandshakeComplete, let name = SSL_get_version(ssl) else { return nil }
        return String(cString: name)
    }

    /// The key-exchange group once the handshake is complete ("x25519", "prime256v1").
    public var negotiatedGroup: String? {
        guard isHandshakeComplete, let name = SSL_group_to_name(ssl, meshbed_SSL_get_negotiated_group(ssl)) else { return nil }
        return String(cString: name)
    }

    /// Whether ciphertext is waiting for `takeCiphertext`.
    public var hasPendingCiphertext: Bool { Self.unread(writeBIO) > 0 }

    /// The bytes written into memory BIO `bio` and not read out of it yet: what
    /// `BIO_ctrl_pending` says, from the two counters every BIO keeps, without a control call
    /// through OpenSSL's dispatch (two of them per record on the data path).
    private static func unread(_ bio: OpaquePointer) -> UInt64 {
        BIO_number_written(bio) &- BIO_number_read(bio)
    }

    /// Advances the handshake as far as the bytes received allow; true once it is complete.
    /// A client calls it once first, to queue its ClientHello. `receive` calls it too.
    @discardableResult
    public func handshake() throws -> Bool {
        switch state {
        case .established: return true
        case .failed(let error): throw error
        case .handshaking: break
        }
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            state = .established
            if let certificate = SSL_get1_peer_certificate(ssl) {
                peerCertificate = PeerCertificate(reading: certificate)
                X509_free(certificate)
            }
            return true
        }
        let code = SSL_get_error(ssl, result)
        if code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE { return false }
        throw fail(.handshake)
    }

    /// Hands the engine ciphertext from the peer, and advances the handshake if it is not complete.
    public func receive(_ ciphertext: UnsafeRawBufferPointer) throws {
        if case .failed(let error) = state { throw error }
        if !ciphertext.isEmpty {
            awaitsCiphertext = false
            var offset = 0
            while offset < ciphertext.count {
                let chunk = Int32(clamping: ciphertext.count - offset)
                let written = BIO_write(readBIO, ciphertext.baseAddress! + offset, chunk)
                guard written > 0 else { throw fail(.connection) }
                offset += Int(written)
            }
        }
        if case .handshaking = state { try handshake() }
    }

    /// Hands the engine ciphertext from the peer (see the buffer-pointer form).
    public func receive(_ ciphertext: [UInt8]) throws {
        try ciphertext.withUnsafeBytes { try receive($0) }
    }

    /// Appends to `buffer` all plaintext decrypted so far; returns how many bytes it appended
    /// (0 when a whole record has not arrived yet, or during the handshake). A close_notify
    /// from the peer sets `isClosedByPeer`; a bad record or a fatal alert throws.
    @discardableResult
    public func readPlaintext(into buffer: inout [UInt8]) throws -> Int {
        switch state {
        case .failed(let error): throw error
        case .handshaking: if try !handshake() { return 0 }
        case .established: if awaitsCiphertext { return 0 }
        }
        var appended = 0
        while !isClosedByPeer {
            Self.clearErrorQueue()
            var count = 0
            if SSL_read_ex(ssl, scratch.baseAddress, scratch.count, &count) == 1 {
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                appended += count
                // No ciphertext left in the read BIO and no record data inside SSL: another
                // SSL_read could only say "want read" (a failed call and an error check, per record).
                if Self.unread(readBIO) == 0, SSL_has_pending(ssl) == 0 {
                    awaitsCiphertext = true
                    return appended
                }
                continue
            }
            switch SSL_get_error(ssl, 0) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                awaitsCiphertext = true
                return appended
            case SSL_ERROR_ZERO_RETURN: isClosedByPeer = true
            default: throw fail(.connection)
            }
        }
        return appended
    }

    /// Encrypts `plaintext` into records (at most 16 KiB each) waiting in `takeCiphertext`.
    /// Throws `.invalidState` before the handshake completes or after `close()`.
    public func writePlaintext(_ plaintext: UnsafeRawBufferPointer) throws {
        switch state {
        case .failed(let error): throw error
        case .handshaking: throw TLSError(.invalidState, "plaintext written before the handshake completed")
        case .established: break
        }
        if isClosed { throw TLSError(.invalidState, "plaintext written after close") }
        guard !plaintext.isEmpty else { return }
        var written = 0
        // The write BIO grows as needed, so OpenSSL takes everything in one call, and any
        // failure is fatal: unlike a read's, it needs no `SSL_get_error` (which an entry left
        // on the error queue would mislead), so the queue is not looked at first.
        guard SSL_write_ex(ssl, plaintext.baseAddress, plaintext.count, &written) == 1, written == plaintext.count else {
            throw fail(.connection)
        }
    }

    /// Encrypts `plaintext` (see the buffer-pointer form).
    public func writePlaintext(_ plaintext: [UInt8]) throws {
        try plaintext.withUnsafeBytes { try writePlaintext($0) }
    }

    /// Appends every pending ciphertext byte to `buffer`; returns how many.
    @discardableResult
    public func takeCiphertext(into buffer: inout [UInt8]) -> Int {
        var taken = 0
        // Read what is there, not until a read fails (a failed BIO_read per record).
        var pending = Self.unread(writeBIO)
        while pending > 0 {
            let count = BIO_read(writeBIO, scratch.baseAddress, Int32(min(pending, UInt64(scratch.count))))
            guard count > 0 else { break }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<Int(count)]))
            taken += Int(count)
            pending -= UInt64(count)
        }
        return taken
    }

    /// Every pending ciphertext byte, in a new array (tests; the data path reuses a buffer).
    public func takeCiphertext() -> [UInt8] {
        var bytes: [UInt8] = []
        takeCiphertext(into: &bytes)
        return bytes
    }

    /// Queues close_notify for the peer (send it with `takeCiphertext`); plaintext can still be
    /// read until the peer's own close_notify. Closing during the handshake just stops it.
    public func close() throws {
        if isClosed { return }
        isClosed = true
        switch state {
        case .failed(let error): throw error
        case .handshaking: state = .failed(TLSError(.invalidState, "closed during the handshake"))
        case .established:
            ERR_clear_error()
            if SSL_shutdown(ssl) < 0 { throw fail(.connection) }
        }
    }

    /// Empties this thread's OpenSSL error queue, as `SSL_get_error` needs before each read.
    /// Looks first: on the data path the queue is almost always empty, and `ERR_clear_error`
    /// resets all of its slots every time (about a thousand instructions).
    private static func clearErrorQueue() {
        if ERR_peek_error() != 0 { ERR_clear_error() }
    }

    /// Moves to the failed state with OpenSSL's reasons (and the certificate verification
    /// result when that is what failed), and returns the error to throw.
    private func fail(_ kind: TLSError.Kind) -> TLSError {
        let verification = SSL_get_verify_result(ssl)
        let step = kind == .handshake ? "handshake failed" : "connection failed"
        var error = TLSError.drainingQueue(kind, step)
        if verification != Int(X509_V_OK), let text = X509_verify_cert_error_string(verification) {
            error = TLSError(kind, "\(error.reason) (certificate verification: \(String(cString: text)))")
        }
        state = .failed(error)
        return error
    }
}
