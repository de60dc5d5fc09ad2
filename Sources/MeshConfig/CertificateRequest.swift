/// `POST /v1/certificates`: a sidecar asks the control plane's certificate authority for a
/// workload certificate. `token` is the instance's bootstrap token (see MeshTLS's
/// `BootstrapToken`): the CA signs only for the service that `instance` belongs to.
public struct CertificateRequest: Codable, Sendable, Equatable {
    /// The instance ID (`reviews-v1-0`, or `ingress` for the ingress gateway).
    public var instance: String
    /// The instance's bootstrap token.
    public var token: String
    /// A PKCS#10 request (PEM) for the sidecar's own key, asking for its SPIFFE ID.
    public var csr: String

    public init(instance: String, token: String, csr: String) {
        self.instance = instance
        self.token = token
        self.csr = csr
    }
}

/// The answer to a `CertificateRequest`: the signed certificate, what to trust, and when
/// it expires.
public struct CertificateGrant: Codable, Sendable, Equatable {
    /// The SPIFFE ID the certificate carries.
    public var identity: String
    /// The leaf (and any intermediate), PEM.
    public var certificateChain: String
    /// The mesh root(s) peers are verified against, PEM.
    public var trustedRoots: String
    /// When the leaf expires, seconds since 1970 (UTC).
    public var notAfter: Int64

    public init(identity: String, certificateChain: String, trustedRoots: String, notAfter: Int64) {
        self.identity = identity
        self.certificateChain = certificateChain
        self.trustedRoots = trustedRoots
        self.notAfter = notAfter
    }
}
