import COpenSSL

/// What the peer presented, read from its verified leaf certificate.
public struct PeerCertificate: Sendable, Equatable {
    /// Every URI subjectAltName, in order (a mesh identity has exactly one: its SPIFFE id).
    public var uris: [String]
    /// Whether basicConstraints says CA:TRUE (a mesh leaf must not be a CA).
    public var isCA: Bool

    /// Peer information as read from a certificate.
    public init(uris: [String], isCA: Bool) {
        self.uris = uris
        self.isCA = isCA
    }

    /// Reads `certificate` (an X509 the caller keeps owning).
    init(reading certificate: OpaquePointer) {
        var uris: [String] = []
        if let names = meshbed_X509_subject_alt_names(certificate) {
            defer { GENERAL_NAMES_free(names) }
            for index in 0..<meshbed_GENERAL_NAMES_count(names) {
                var length: Int32 = 0
                if let bytes = meshbed_GENERAL_NAMES_uri(names, index, &length) {
                    uris.append(String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self))
                }
            }
        }
        self.uris = uris
        isCA = X509_get_extension_flags(certificate) & UInt32(EXFLAG_CA) != 0
    }
}
