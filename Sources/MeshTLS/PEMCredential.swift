/// A certificate chain (leaf first, PEM) and its private key (PEM), as files hold them.
public struct PEMCredential: Sendable, Equatable {
    /// The leaf certificate, then any intermediates, PEM-encoded.
    public var certificateChain: [UInt8]
    /// The leaf's private key, PEM-encoded (PKCS#8, unencrypted).
    public var privateKey: [UInt8]

    /// A credential from PEM bytes (not checked here; `TLSContext` and `CertificateIssuer` check).
    public init(certificateChain: [UInt8], privateKey: [UInt8]) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }
}
