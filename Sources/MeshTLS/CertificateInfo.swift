import COpenSSL

/// The facts about one certificate that `meshbed status` and the sidecar admin `/certs` show:
/// names, serial, validity, URI SANs, CA flag and key. Plain values, read once from PEM.
public struct CertificateInfo: Sendable, Equatable {
    /// The subject, RFC 2253 text as `openssl x509 -nameopt RFC2253` prints it ("CN=a,O=meshbed").
    public var subject: String
    /// The issuer, RFC 2253 text.
    public var issuer: String
    /// The serial number in upper-case hex, as `openssl x509 -serial` prints it.
    public var serial: String
    /// Start of validity, seconds since 1970 (UTC).
    public var notBefore: Int64
    /// End of validity, seconds since 1970 (UTC).
    public var notAfter: Int64
    /// Every URI subjectAltName, in order.
    public var uris: [String]
    /// Whether basicConstraints says CA:TRUE.
    public var isCA: Bool
    /// The public key: "EC P-256", "EC P-384", "RSA 2048", "ED25519", ...
    public var key: String

    /// Facts as given (tests, and values carried over the wire).
    public init(subject: String, issuer: String, serial: String, notBefore: Int64, notAfter: Int64, uris: [String], isCA: Bool, key: String) {
        self.subject = subject
        self.issuer = issuer
        self.serial = serial
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.uris = uris
        self.isCA = isCA
        self.key = key
    }

    /// Every certificate in `pem` (leaf first, as a chain is stored); throws `.configuration`
    /// when there is none.
    public static func chain(_ pem: [UInt8]) throws -> [CertificateInfo] {
        ERR_clear_error()
        let certificates = try PEM.certificates(pem, what: "certificate chain", kind: .configuration)
        defer { certificates.forEach { X509_free($0) } }
        return certificates.map(CertificateInfo.init(reading:))
    }

    /// `notBefore` as RFC 3339 UTC text, "2026-11-29T15:42:25Z".
    public var notBeforeText: String { Self.rfc3339(notBefore) }
    /// `notAfter` as RFC 3339 UTC text.
    public var notAfterText: String { Self.rfc3339(notAfter) }

    /// Reads `certificate` (an X509 the caller keeps owning).
    init(reading certificate: OpaquePointer) {
        subject = PEM.printed { X509_NAME_print_ex($0, X509_get_subject_name(certificate), 0, meshbed_XN_FLAG_RFC2253()) }
        issuer = PEM.printed { X509_NAME_print_ex($0, X509_get_issuer_name(certificate), 0, meshbed_XN_FLAG_RFC2253()) }
        serial = PEM.printed { i2a_ASN1_INTEGER($0, X509_get0_serialNumber(certificate)) }
        notBefore = Self.unixSeconds(X509_get0_notBefore(certificate))
        notAfter = Self.unixSeconds(X509_get0_notAfter(certificate))
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
        key = X509_get0_pubkey(certificate).map(Self.describe(key:)) ?? "none"
    }

    /// "EC P-256" for a P-256 key; otherwise the algorithm and its curve or size.
    static func describe(key: OpaquePointer) -> String {
        switch EVP_PKEY_get_base_id(key) {
        case NID_X9_62_id_ecPublicKey:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1 else { return "EC" }
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch curve {
            case "prime256v1": return "EC P-256"
            case "secp384r1": return "EC P-384"
            case "secp521r1": return "EC P-521"
            default: return "EC \(curve)"
            }
        case NID_rsaEncryption, NID_rsassaPss:
            return "RSA \(EVP_PKEY_get_bits(key))"
        case NID_ED25519:
            return "ED25519"
        case let nid:
            return OBJ_nid2sn(nid).map { String(cString: $0) } ?? "unknown key type \(nid)"
        }
    }

    /// `time` in seconds since 1970, computed by OpenSSL (no libc calendar functions).
    private static func unixSeconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int64 {
        guard let time, let epoch = ASN1_TIME_set(nil, 0) else { return 0 }
        defer { ASN1_STRING_free(epoch) }
        var days: Int32 = 0, seconds: Int32 = 0
        guard ASN1_TIME_diff(&days, &seconds, epoch, time) == 1 else {
            ERR_clear_error()
            return 0
        }
        return Int64(days) * 86_400 + Int64(seconds)
    }

    /// RFC 3339 UTC text for `seconds` since 1970 (proleptic Gregorian, H. Hinnant's civil_from_days).
    public static func rfc3339(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yearText = String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year)
        return "\(yearText)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60))Z"
    }
}
