/// What a `TLSContext` is built from: one side's credential, the roots it trusts, its role.
///
/// Fixed, not configurable: TLS 1.3 only, key exchange X25519 then P-256, the peer's
/// certificate required and verified against `trustedRoots` on both sides (mutual TLS),
/// renegotiation refused, no session tickets.
public struct TLSConfiguration: Sendable, Equatable {
    /// Which end of the handshake a context's engines play.
    public enum Role: Sendable, Equatable {
        /// Accepts connections; requires and verifies the client's certificate.
        case server
        /// Opens connections; verifies the server's certificate.
        case client
    }

    /// Which end of the handshake.
    public var role: Role
    /// This side's certificate chain and key. Required for a server; nil only makes a client
    /// that presents no certificate (which a mesh server refuses: for tests and probes).
    public var credential: PEMCredential?
    /// One or more trusted root certificates, PEM-encoded and concatenated.
    public var trustedRoots: [UInt8]

    /// A configuration for `role` presenting `credential` and trusting `trustedRoots`.
    public init(role: Role, credential: PEMCredential?, trustedRoots: [UInt8]) {
        self.role = role
        self.credential = credential
        self.trustedRoots = trustedRoots
    }
}
