import COpenSSL

/// A small ECDSA P-256 certificate authority: a root (generated, or loaded from PEM) that
/// signs mesh leaf certificates, directly or through an intermediate (`issueIntermediate`).
///
/// A leaf has exactly one subjectAltName, the URI `spiffe://TRUST_DOMAIN/ns/NS/sa/SERVICE`,
/// basicConstraints CA:FALSE (critical), keyUsage digitalSignature (critical), extended key
/// usage serverAuth and clientAuth, a random 16-octet serial, and the lifetime asked for
/// (`leafLifetimes`). The control plane signs a sidecar's request with
/// `issue(csr:expectedSPIFFEID:lifetime:notBefore:)`; tests make a whole credential with
/// `issueCredential`. Peers trust `trustAnchor`.
///
/// A value holding PEM only, so it is Sendable; each call parses what it needs (signing is
/// rare: once per identity per half lifetime).
public struct CertificateIssuer: Sendable {
    /// The signing CA: its certificate, then the certificates up to the root (none when it is
    /// the root itself, the usual case), and its private key.
    public let root: PEMCredential
    /// The root certificate (PEM), the one that peers trust: the last of `root`'s chain.
    public let trustAnchor: [UInt8]
    /// What an issued leaf is followed by in its chain (PEM): the signing CA's certificate and
    /// any others below the root; empty when the root signs.
    public let intermediates: [UInt8]

    /// An issuer signing with `root`; throws `.issuing` unless the first certificate is a CA
    /// whose private key is the one given, and each certificate is issued by the next.
    public init(root: PEMCredential) throws {
        ERR_clear_error()
        let certificates = try PEM.certificates(root.certificateChain, what: "root certificate", kind: .issuing)
        defer { certificates.forEach { X509_free($0) } }
        let key = try PEM.privateKey(root.privateKey, what: "root private key", kind: .issuing)
        defer { EVP_PKEY_free(key) }
        guard X509_get_extension_flags(certificates[0]) & UInt32(EXFLAG_CA) != 0 else {
            throw TLSError(.issuing, "root certificate: not a CA (basicConstraints CA:TRUE missing)")
        }
        guard X509_check_private_key(certificates[0], key) == 1 else {
            throw TLSError.drainingQueue(.issuing, "root private key does not match the root certificate")
        }
        for index in certificates.indices.dropLast() {
            let (subject, issuer) = (certificates[index], certificates[index + 1])
            guard X509_check_issued(issuer, subject) == X509_V_OK, let issuerKey = X509_get0_pubkey(issuer),
                  X509_verify(subject, issuerKey) == 1 else {
                ERR_clear_error()
                throw TLSError(.issuing, "root certificate chain: certificate \(index + 1) is not issued by certificate \(index + 2)")
            }
        }
        self.root = root
        trustAnchor = try PEM.written(what: "root certificate") { PEM_write_bio_X509($0, certificates[certificates.count - 1]) }
        var intermediates: [UInt8] = []
        for certificate in certificates.dropLast() {
            intermediates += try PEM.written(what: "intermediate certificate") { PEM_write_bio_X509($0, certificate) }
        }
        self.intermediates = intermediates
    }

    /// An issuer signing with a new intermediate CA made by this root: a fresh P-256 key,
    /// CA:TRUE with pathlen 0 (it signs leaves only), keyCertSign and cRLSign. Leaves it issues
    /// carry it in their chain, so peers that trust this root verify them. Throws `.issuing`
    /// when this issuer is itself an intermediate.
    public func issueIntermediate(commonName: String = "meshbed intermediate", lifetime: Duration, notBefore: Int64? = nil) throws -> CertificateIssuer {
        guard intermediates.isEmpty else {
            throw TLSError(.issuing, "an intermediate is issued by the root only (intermediates have pathlen 0)")
        }
        ERR_clear_error()
        guard let key = meshbed_EVP_EC_gen_P256() else { throw TLSError.drainingQueue(.issuing, "P-256 key generation") }
        defer { EVP_PKEY_free(key) }
        let rootCertificates = try PEM.certificates(root.certificateChain, what: "root certificate", kind: .issuing)
        defer { rootCertificates.forEach { X509_free($0) } }
        let rootKey = try PEM.privateKey(root.privateKey, what: "root private key", kind: .issuing)
        defer { EVP_PKEY_free(rootKey) }
        let certificate = try Self.makeCertificate(
            commonName: commonName, subjectKey: key, issuer: rootCertificates[0], signingKey: rootKey, lifetime: lifetime,
            notBefore: notBefore,
            extensions: [
                (NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
                (NID_key_usage, "critical,keyCertSign,cRLSign"),
                (NID_subject_key_identifier, "hash"),
                (NID_authority_key_identifier, "keyid"),
            ],
            uri: nil)
        let privateKey = try PEM.written(what: "intermediate private key") { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
        return try CertificateIssuer(root: PEMCredential(certificateChain: certificate + trustAnchor, privateKey: privateKey))
    }

    /// A new self-signed root: a fresh P-256 key, CA:TRUE, keyCertSign and cRLSign.
    /// `notBefore` is in seconds since 1970 (nil: a minute ago, for clock skew).
    public static func generateRoot(commonName: String = "meshbed root", lifetime: Duration, notBefore: Int64? = nil) throws -> CertificateIssuer {
        ERR_clear_error()
        guard let key = meshbed_EVP_EC_gen_P256() else { throw TLSError.drainingQueue(.issuing, "P-256 key generation") }
        defer { EVP_PKEY_free(key) }
        let certificate = try makeCertificate(
            commonName: commonName, subjectKey: key, issuer: nil, signingKey: key, lifetime: lifetime, notBefore: notBefore,
            extensions: [
                (NID_basic_constraints, "critical,CA:TRUE"),
                (NID_key_usage, "critical,keyCertSign,cRLSign"),
                (NID_subject_key_identifier, "hash"),
            ],
            uri: nil)
        let privateKey = try PEM.written(what: "root private key") { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
        return try CertificateIssuer(root: PEMCredential(certificateChain: certificate, privateKey: privateKey))
    }

    /// A mesh leaf certificate (PEM) for `publicKey` (SubjectPublicKeyInfo PEM, as in a CSR),
    /// whose only URI SAN is `spiffeID`, followed by `intermediates` (so the result is the
    /// chain to present). `notBefore` is in seconds since 1970 (nil: a minute ago); the
    /// certificate expires `lifetime` after that.
    public func issue(publicKey: [UInt8], spiffeID: String, lifetime: Duration, notBefore: Int64? = nil) throws -> [UInt8] {
        try Self.checkSPIFFE(spiffeID)
        guard Self.leafLifetimes.contains(lifetime) else {
            throw TLSError(.issuing, "leaf certificate lifetime must be 1s to 366 days, not \(lifetime)")
        }
        ERR_clear_error()
        let subjectKey = try PEM.publicKey(publicKey, what: "public key", kind: .issuing)
        defer { EVP_PKEY_free(subjectKey) }
        let rootCertificates = try PEM.certificates(root.certificateChain, what: "root certificate", kind: .issuing)
        defer { rootCertificates.forEach { X509_free($0) } }
        let rootKey = try PEM.privateKey(root.privateKey, what: "root private key", kind: .issuing)
        defer { EVP_PKEY_free(rootKey) }
        return try Self.makeCertificate(
            commonName: nil, subjectKey: subjectKey, issuer: rootCertificates[0], signingKey: rootKey, lifetime: lifetime,
            notBefore: notBefore,
            extensions: [
                (NID_basic_constraints, "critical,CA:FALSE"),
                (NID_key_usage, "critical,digitalSignature"),
                (NID_ext_key_usage, "serverAuth,clientAuth"),
                (NID_authority_key_identifier, "keyid"),
            ],
            uri: spiffeID) + intermediates
    }

    /// A mesh leaf certificate (PEM) for the key in `csr` (PKCS#10 PEM), signed only when the
    /// request checks out (`CertificateSigningRequest`) and asks for exactly one name, the URI
    /// `expectedSPIFFEID`: the identity the caller proved (the control plane derives it from
    /// the caller's bootstrap token; the request itself is never trusted for it). The
    /// certificate is what `issue(publicKey:spiffeID:lifetime:notBefore:)` makes; nothing else
    /// in the request (subject, other extensions) is copied. Throws `.issuing` (one line).
    public func issue(csr: [UInt8], expectedSPIFFEID: String, lifetime: Duration, notBefore: Int64? = nil) throws -> [UInt8] {
        let expected: SPIFFEID
        do {
            expected = try SPIFFEID(parsing: expectedSPIFFEID)
        } catch let error as TLSError {
            throw TLSError(.issuing, "expected identity: \(error.reason)")
        }
        let request = try CertificateSigningRequest(pem: csr)
        switch request.uris.count {
        case 0: throw TLSError(.issuing, "certificate request asks for no URI SAN (expected \(expected))")
        case 1: break
        default: throw TLSError(.issuing, "certificate request asks for \(request.uris.count) URI SANs (expected only \(expected))")
        }
        guard request.uris[0] == expected.description else {
            throw TLSError(.issuing, "certificate request asks for \(SPIFFEID.quoted(request.uris[0])), not the caller's identity \(expected)")
        }
        return try issue(publicKey: request.publicKey, spiffeID: expected.description, lifetime: lifetime, notBefore: notBefore)
    }

    /// The lifetimes a leaf may have: a few seconds (rotation demos) up to 366 days.
    public static let leafLifetimes: ClosedRange<Duration> = .seconds(1) ... .seconds(366 * 86_400)

    /// A fresh P-256 key and its leaf certificate for `spiffeID` (see `issue`).
    public func issueCredential(spiffeID: String, lifetime: Duration, notBefore: Int64? = nil) throws -> PEMCredential {
        let privateKey = try Self.generatePrivateKey()
        let certificate = try issue(publicKey: Self.publicKey(ofPrivateKey: privateKey), spiffeID: spiffeID, lifetime: lifetime, notBefore: notBefore)
        return PEMCredential(certificateChain: certificate, privateKey: privateKey)
    }

    /// A fresh ECDSA P-256 private key, PEM (PKCS#8).
    public static func generatePrivateKey() throws -> [UInt8] {
        ERR_clear_error()
        guard let key = meshbed_EVP_EC_gen_P256() else { throw TLSError.drainingQueue(.issuing, "P-256 key generation") }
        defer { EVP_PKEY_free(key) }
        return try PEM.written(what: "private key") { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
    }

    /// The public half of `privateKey` (PEM), as SubjectPublicKeyInfo PEM.
    public static func publicKey(ofPrivateKey privateKey: [UInt8]) throws -> [UInt8] {
        ERR_clear_error()
        let key = try PEM.privateKey(privateKey, what: "private key", kind: .issuing)
        defer { EVP_PKEY_free(key) }
        return try PEM.written(what: "public key") { PEM_write_bio_PUBKEY($0, key) }
    }

    /// `spiffe://` then printable ASCII without spaces (RFC 3986 characters; no way to smuggle
    /// a second name in: the SAN is built as one GENERAL_NAME, not from a config string).
    static func checkSPIFFE(_ id: String) throws {
        let bytes = Array(id.utf8)
        guard id.hasPrefix("spiffe://"), bytes.count > "spiffe://".utf8.count, bytes.count <= 2048,
              bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw TLSError(.issuing, "not a SPIFFE id (spiffe://TRUST_DOMAIN/PATH, printable ASCII): \(id.prefix(80))")
        }
    }

    /// Builds, signs (ECDSA with SHA-256) and PEM-encodes one certificate. `issuer` nil: self-signed.
    /// Internal, not private: tests make the certificates a CA must never issue with it.
    static func makeCertificate(
        commonName: String?, subjectKey: OpaquePointer, issuer: OpaquePointer?, signingKey: OpaquePointer,
        lifetime: Duration, notBefore: Int64?, extensions: [(Int32, String)], uri: String?
    ) throws -> [UInt8] {
        let seconds = lifetime.components.seconds
        guard seconds > 0 else { throw TLSError(.issuing, "certificate lifetime must be at least 1s") }
        guard let certificate = X509_new() else { throw TLSError.drainingQueue(.issuing, "X509_new") }
        defer { X509_free(certificate) }
        func check(_ ok: Bool, _ step: String) throws {
            if !ok { throw TLSError.drainingQueue(.issuing, step) }
        }
        try check(X509_set_version(certificate, 2) == 1, "version")
        // 16 octets, 126 of them random bits (RFC 5280: positive, at most 20 octets; CA/B Forum:
        // at least 64 random bits); the top bits 01 keep it positive and always 16 octets long.
        var serial = [UInt8](repeating: 0, count: 16)
        try check(RAND_bytes(&serial, Int32(serial.count)) == 1, "serial number")
        serial[0] = serial[0] & 0x7F | 0x40
        guard let number = BN_bin2bn(serial, Int32(serial.count), nil) else { throw TLSError.drainingQueue(.issuing, "serial number") }
        defer { BN_free(number) }
        try check(BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) != nil, "serial number")

        if let notBefore {
            try check(ASN1_TIME_set(X509_getm_notBefore(certificate), time_t(notBefore)) != nil, "notBefore")
            try check(ASN1_TIME_set(X509_getm_notAfter(certificate), time_t(notBefore + seconds)) != nil, "notAfter")
        } else {
            try check(X509_gmtime_adj(X509_getm_notBefore(certificate), -60) != nil, "notBefore")
            try check(X509_gmtime_adj(X509_getm_notAfter(certificate), Int(seconds)) != nil, "notAfter")
        }

        let subject = X509_get_subject_name(certificate)
        try check(X509_NAME_add_entry_by_txt(subject, "O", meshbed_MBSTRING_ASC(), "meshbed", -1, -1, 0) == 1, "subject")
        if let commonName {
            try check(X509_NAME_add_entry_by_txt(subject, "CN", meshbed_MBSTRING_ASC(), commonName, -1, -1, 0) == 1, "subject CN")
        }
        try check(X509_set_issuer_name(certificate, issuer.map { X509_get_subject_name($0) } ?? subject) == 1, "issuer name")
        try check(X509_set_pubkey(certificate, subjectKey) == 1, "public key")

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer ?? certificate, certificate, nil, nil, 0)
        for (nid, value) in extensions {
            guard let `extension` = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw TLSError.drainingQueue(.issuing, "extension \(value)")
            }
            defer { X509_EXTENSION_free(`extension`) }
            try check(X509_add_ext(certificate, `extension`, -1) == 1, "extension \(value)")
        }
        if let uri {
            try check(meshbed_X509_add_uri_san(certificate, uri, 0) == 1, "subjectAltName URI")
        }
        try check(X509_sign(certificate, signingKey, EVP_sha256()) > 0, "signature")
        return try PEM.written(what: "certificate") { PEM_write_bio_X509($0, certificate) }
    }
}
