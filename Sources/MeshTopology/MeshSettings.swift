import MeshCore
import MeshYAML

/// The topology's `mesh:` section: mutual TLS mode and workload identity settings.
public struct MeshSettings: Sendable, Equatable {
    /// How sidecars treat plaintext on their inbound port.
    public enum MTLSMode: String, Sendable, Equatable, CaseIterable {
        /// Inbound refuses plaintext and any client without a valid mesh certificate (default).
        case strict
        /// Inbound accepts both mTLS and plaintext (callers without a certificate have no identity).
        case permissive
        /// Sidecars talk plaintext; no identities are checked.
        case disabled
    }

    /// `mtls`, default `strict`.
    public let mtls: MTLSMode
    /// `trustDomain`, the SPIFFE trust domain, default `meshbed.local`.
    public let trustDomain: String
    /// `certTTL`, the workload certificate lifetime, default 24h (at least 1s).
    public let certTTL: Duration

    public static let defaultTrustDomain = "meshbed.local"
    public static let defaultCertTTL: Duration = .seconds(24 * 3600)
    /// Every default: strict mTLS in `meshbed.local` with 24-hour certificates.
    public static let `default` = MeshSettings()

    public init(mtls: MTLSMode = .strict, trustDomain: String = defaultTrustDomain, certTTL: Duration = defaultCertTTL) {
        self.mtls = mtls
        self.trustDomain = trustDomain
        self.certTTL = certTTL
    }

    static let keys = ["mtls", "trustDomain", "certTTL"]

    /// Whether `text` can be a SPIFFE trust domain: lowercase letters, digits, `.`, `-`, `_`.
    static func isValidTrustDomain(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 255 && text.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F
        }
    }

    /// Reads `mesh:`; an absent or empty section gives every default.
    static func read(_ node: YAMLNode, log: inout DiagnosticLog) -> MeshSettings? {
        guard let fields = MappingReader(node, key: "mesh", context: "in mesh", allowed: keys, log: &log) else { return nil }
        var valid = true
        var mtls = MTLSMode.strict
        if let value = fields["mtls"] {
            if let mode = ValueReader.choice(value, key: "mtls", as: MTLSMode.self, log: &log) { mtls = mode } else { valid = false }
        }
        var trustDomain = defaultTrustDomain
        if let value = fields["trustDomain"] {
            let expected = "a trust domain of lowercase letters, digits, '.', '-' and '_'"
            if let text = ValueReader.string(value, key: "trustDomain", expected: expected, log: &log) {
                if isValidTrustDomain(text) {
                    trustDomain = text
                } else {
                    ValueReader.fail("trustDomain", expected: expected, node: value, log: &log)
                    valid = false
                }
            } else {
                valid = false
            }
        }
        var certTTL = defaultCertTTL
        if let value = fields["certTTL"] {
            if let ttl = ValueReader.duration(value, key: "certTTL", minimum: .seconds(1), log: &log) { certTTL = ttl } else { valid = false }
        }
        return valid ? MeshSettings(mtls: mtls, trustDomain: trustDomain, certTTL: certTTL) : nil
    }
}
