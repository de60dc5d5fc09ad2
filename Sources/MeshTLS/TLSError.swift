// MeshTLS: mutual TLS 1.3 for meshbed on OpenSSL 3, with no I/O.
//
// - `TLSConfiguration` -> `TLSContext`: PEM credentials and trusted roots, TLS 1.3 only,
//   X25519 then P-256, peer verification required both ways, no renegotiation, no tickets.
// - `TLSEngine`: one connection's TLS state on two memory BIOs. The caller moves bytes:
//
//       socket ──ciphertext──▶ receive(_:)          readPlaintext(into:) ──plaintext──▶ app
//       socket ◀──ciphertext── takeCiphertext(into:) writePlaintext(_:)  ◀──plaintext── app
//
//   so the engine runs (and is tested) without sockets, as swift-nio-ssl's `ByteBufferBIO`.
// - `CertificateIssuer`: a small ECDSA P-256 certificate authority (root generation, leaf
//   signing with one SPIFFE URI SAN), for the control plane and for tests;
//   `CertificateSigningRequest`: the PKCS#10 request a sidecar sends it.
// - `SPIFFEID` and `MeshIdentityVerifier`: the strict identity form, and the mesh's check of
//   a verified peer (one URI SAN, this trust domain, no CA, the expected service).
// - `PeerCertificate`: what a verified peer presented (URI SANs, CA flag, expiry, serial...);
//   `CertificateInfo`: the facts of a PEM chain, for status and `/certs`.
import COpenSSL

/// A TLS failure, with OpenSSL's own reason (`ERR_error_string_n`) when it gave one.
public struct TLSError: Error, Equatable, CustomStringConvertible {
    /// Which step failed.
    public enum Kind: String, Sendable {
        /// PEM that does not parse, a key that does not match its certificate, a bad option.
        case configuration
        /// The handshake failed (a bad peer certificate, no certificate, garbage, an alert).
        case handshake
        /// A record or alert after the handshake failed (bad MAC, garbage, a fatal alert).
        case connection
        /// Plaintext was written before the handshake completed, or after the engine closed or failed.
        case invalidState
        /// Certificate generation or signing failed (CertificateIssuer).
        case issuing
    }

    /// Which step failed.
    public let kind: Kind
    /// One line: OpenSSL's reasons (and the verification result), or ours.
    public let reason: String

    /// A TLS error of `kind` with `reason`.
    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var description: String { "TLS \(kind.rawValue) error: \(reason)" }

    /// An error of `kind` whose reason is `context` followed by every error OpenSSL queued on
    /// this thread (the queue is emptied).
    static func drainingQueue(_ kind: Kind, _ context: String) -> TLSError {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            reasons.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        let detail = reasons.isEmpty ? context : "\(context): \(reasons.joined(separator: "; "))"
        return TLSError(kind, detail)
    }
}
