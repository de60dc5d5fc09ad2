/// A mesh workload identity, `spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/SERVICE` (SPEC §5), parsed
/// and formatted strictly: the one spelling a certificate may carry, so two identities are the
/// same exactly when their text is.
///
/// Every part is non-empty and made of lower-case letters, digits, `-`, `.` and `_` (so no
/// port, userinfo, query, fragment, percent-encoding or upper case can slip in); a path part is
/// not `.` or `..`; the trust domain is at most 255 bytes and the whole id at most 2048.
public struct SPIFFEID: Sendable, Hashable, CustomStringConvertible {
    /// The trust domain, e.g. `meshbed.local`.
    public let trustDomain: String
    /// The namespace (meshbed: the topology's name).
    public let namespace: String
    /// The service account (meshbed: the service's name).
    public let service: String

    /// The identity of `service` in `namespace` of `trustDomain`; throws `.configuration`
    /// naming the part that is not allowed.
    public init(trustDomain: String, namespace: String, service: String) throws {
        try Self.check(trustDomain, "trust domain", limit: 255, pathPart: false)
        try Self.check(namespace, "namespace", limit: 2048, pathPart: true)
        try Self.check(service, "service", limit: 2048, pathPart: true)
        self.trustDomain = trustDomain
        self.namespace = namespace
        self.service = service
        guard description.utf8.count <= 2048 else {
            throw TLSError(.configuration, "SPIFFE id longer than 2048 bytes")
        }
    }

    /// Parses `spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/SERVICE`; throws `.configuration` with a
    /// one-line reason that quotes (at most 100 characters of) the text.
    public init(parsing text: String) throws {
        func refuse(_ why: String) -> TLSError {
            TLSError(.configuration, "not a mesh SPIFFE id (spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/SERVICE): \(why): \(Self.quoted(text))")
        }
        let bytes = Array(text.utf8)
        guard bytes.count <= 2048 else { throw refuse("longer than 2048 bytes") }
        let scheme = Array("spiffe://".utf8)
        guard bytes.starts(with: scheme) else { throw refuse("scheme is not spiffe://") }
        let rest = bytes[scheme.count...]
        let slash = rest.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
        let domain = String(decoding: rest[..<slash], as: UTF8.self)
        let path = rest[slash...].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
            .map { String(decoding: $0, as: UTF8.self) }
        guard path.count == 4, path[0] == "ns", path[2] == "sa" else { throw refuse("path is not /ns/NAMESPACE/sa/SERVICE") }
        do {
            try self.init(trustDomain: domain, namespace: path[1], service: path[3])
        } catch let error as TLSError {
            throw refuse(error.reason)
        }
    }

    /// `spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/SERVICE`.
    public var description: String { "spiffe://\(trustDomain)/ns/\(namespace)/sa/\(service)" }

    /// Throws unless `part` is 1...limit bytes of [a-z0-9-._] (and, in a path, not `.` or `..`).
    private static func check(_ part: String, _ what: String, limit: Int, pathPart: Bool) throws {
        let bytes = Array(part.utf8)
        guard !bytes.isEmpty else { throw TLSError(.configuration, "\(what) is empty") }
        guard bytes.count <= limit else { throw TLSError(.configuration, "\(what) is longer than \(limit) bytes") }
        guard bytes.allSatisfy(isAllowed) else {
            throw TLSError(.configuration, "\(what) \(quoted(part)) may only hold a-z 0-9 - . _")
        }
        if pathPart && (part == "." || part == "..") {
            throw TLSError(.configuration, "\(what) may not be \(part)")
        }
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }

    /// `text` for a one-line message: at most 100 characters, anything but printable ASCII as `?`.
    static func quoted(_ text: String) -> String {
        let shown = text.unicodeScalars.prefix(100).map { (0x20...0x7E).contains($0.value) ? Character($0) : "?" }
        return "\"" + String(shown) + (text.unicodeScalars.count > 100 ? "...\"" : "\"")
    }
}
