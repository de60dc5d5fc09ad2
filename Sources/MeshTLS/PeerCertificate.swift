import COpenSSL

/// What the peer presented, read from its verified leaf certificate when the handshake
/// completes: what the mesh identity check needs (`MeshIdentityVerifier`), and what logs and
/// `meshbed status` show.
public struct PeerCertificate: Sendable, Equatable {
    /// Every URI subjectAltName, in order (a mesh identity has exactly one: its SPIFFE id).
    public var uris: [String]
    /// Whether basicConstraints says CA:TRUE (a mesh leaf must not be a CA).
    public var isCA: Bool
    /// End of validity, seconds since 1970 (UTC).
    public var notAfter: Int64
    /// The serial number in upper-case hex.
    public var serial: String
    /// The subject, RFC 2253 text.
    public var subject: String
    /// The issuer, RFC 2253 text.
    public var issuer: String
    /// The public key, e.g. "EC P-256".
    public var key: String

    /// Peer information as given; the facts a test does not care about default to empty.
    public init(uris: [String], isCA: Bool, notAfter: Int64 = 0, serial: String = "", subject: String = "", issuer: String = "", key: String = "") {
        self.uris = uris
        self.isCA = isCA
        self.notAfter = notAfter
        self.serial = serial
        self.subject = subject
        self.issuer = issuer
        self.key = key
    }

    /// The peer facts among `info`.
    public init(_ info: CertificateInfo) {
        self.init(uris: info.uris, isCA: info.isCA, notAfter: info.notAfter, serial: info.serial, subject: info.subject, issuer: info.issuer, key: info.key)
    }

    /// Reads `certificate` (an X509 the caller keeps owning).
    init(reading certificate: OpaquePointer) {
        self.init(CertificateInfo(reading: certificate))
    }
}
