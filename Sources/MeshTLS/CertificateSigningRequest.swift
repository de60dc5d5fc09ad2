import COpenSSL

/// A PKCS#10 certificate signing request (PEM), as a sidecar sends it to the control plane:
/// its public key, the identity it asks for (one URI subjectAltName among the requested
/// extensions), signed with its private key, which never leaves the sidecar.
///
/// A parsed value has passed every check the CA makes before looking at the identity: PEM
/// that parses, an ECDSA P-256 key, a self-signature that verifies (the requester holds the
/// key and the request was not altered), subjectAltNames that are URIs only. Whether the URI
/// is the caller's identity is `CertificateIssuer.issue(csr:expectedSPIFFEID:lifetime:)`'s call.
public struct CertificateSigningRequest: Sendable, Equatable {
    /// The request as sent, PEM.
    public let pem: [UInt8]
    /// The requested URI subjectAltNames, in order.
    public let uris: [String]
    /// The requester's public key, SubjectPublicKeyInfo PEM.
    public let publicKey: [UInt8]
    /// The subject, RFC 2253 text (informational: an issued certificate never copies it).
    public let subject: String

    /// Requests above this size are refused unread (a P-256 request is about 400 bytes).
    public static let maximumSize = 16_384

    /// A request signed with `privateKey` (PEM) for `spiffeID` (a strict mesh SPIFFE id),
    /// with subject CN=`commonName` when given, else an empty subject.
    public static func make(privateKey: [UInt8], spiffeID: String, commonName: String? = nil) throws -> CertificateSigningRequest {
        let id = try SPIFFEID(parsing: spiffeID)
        ERR_clear_error()
        let key = try PEM.privateKey(privateKey, what: "private key", kind: .issuing)
        defer { EVP_PKEY_free(key) }
        guard let request = X509_REQ_new() else { throw TLSError.drainingQueue(.issuing, "X509_REQ_new") }
        defer { X509_REQ_free(request) }
        func check(_ ok: Bool, _ step: String) throws {
            if !ok { throw TLSError.drainingQueue(.issuing, "certificate request: \(step)") }
        }
        try check(X509_REQ_set_version(request, 0) == 1, "version")
        if let commonName {
            let name = X509_REQ_get_subject_name(request)
            try check(X509_NAME_add_entry_by_txt(name, "CN", meshbed_MBSTRING_ASC(), commonName, -1, -1, 0) == 1, "subject CN")
        }
        try check(X509_REQ_set_pubkey(request, key) == 1, "public key")
        try check(meshbed_X509_REQ_add_uri_san(request, id.description) == 1, "subjectAltName URI")
        try check(X509_REQ_sign(request, key, EVP_sha256()) > 0, "signature")
        let pem = try PEM.written(what: "certificate request") { PEM_write_bio_X509_REQ($0, request) }
        return try CertificateSigningRequest(pem: pem)
    }

    /// Parses and checks a request; throws `.issuing` with a one-line reason when it is not
    /// PEM, its key is not EC P-256, its signature does not verify, or it asks for a name
    /// that is not a URI.
    public init(pem: [UInt8]) throws {
        guard pem.count <= Self.maximumSize else {
            throw TLSError(.issuing, "certificate request: larger than \(Self.maximumSize) bytes")
        }
        ERR_clear_error()
        let request: OpaquePointer
        do {
            let bio = try PEM.memoryBIO(pem, what: "certificate request", kind: .issuing)
            defer { BIO_free(bio) }
            guard let read = PEM_read_bio_X509_REQ(bio, nil, nil, nil) else {
                ERR_clear_error()
                throw TLSError(.issuing, "certificate request: not a PEM CERTIFICATE REQUEST")
            }
            request = read
        }
        defer { X509_REQ_free(request) }

        guard let key = X509_REQ_get0_pubkey(request) else {
            throw TLSError.drainingQueue(.issuing, "certificate request: no usable public key")
        }
        let keyDescription = CertificateInfo.describe(key: key)
        guard keyDescription == "EC P-256" else {
            throw TLSError(.issuing, "certificate request: key is \(keyDescription), not EC P-256")
        }
        guard X509_REQ_verify(request, key) == 1 else {
            ERR_clear_error()
            throw TLSError(.issuing, "certificate request: signature does not verify (altered, or not signed with its key)")
        }

        var status: Int32 = 0
        var uris: [String] = []
        if let names = meshbed_X509_REQ_subject_alt_names(request, &status) {
            defer { GENERAL_NAMES_free(names) }
            for index in 0..<meshbed_GENERAL_NAMES_count(names) {
                var length: Int32 = 0
                guard let bytes = meshbed_GENERAL_NAMES_uri(names, index, &length) else {
                    throw TLSError(.issuing, "certificate request: subjectAltName \(index + 1) is not a URI (only one SPIFFE URI may be asked for)")
                }
                uris.append(String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self))
            }
        } else if status == -2 {
            throw TLSError(.issuing, "certificate request: more than one subjectAltName extension")
        } else if status != -1 {
            ERR_clear_error()
            throw TLSError(.issuing, "certificate request: subjectAltName does not parse")
        }

        self.pem = pem
        self.uris = uris
        publicKey = try PEM.written(what: "public key") { PEM_write_bio_PUBKEY($0, key) }
        subject = PEM.printed { X509_NAME_print_ex($0, X509_REQ_get_subject_name(request), 0, meshbed_XN_FLAG_RFC2253()) }
    }
}
