/// Mutual TLS between sidecars, as a snapshot carries it: the inbound mode and the SPIFFE
/// trust domain identities live in (`spiffe://TRUST_DOMAIN/ns/TOPOLOGY/sa/SERVICE`).
public struct MTLSConfig: Codable, Sendable, Equatable {
    /// How an inbound port treats callers.
    public enum Mode: String, Codable, Sendable {
        /// TLS with a valid mesh certificate only.
        case strict
        /// TLS (with an identity) or plaintext (without one).
        case permissive
    }

    public var mode: Mode
    public var trustDomain: String

    public init(mode: Mode, trustDomain: String) {
        self.mode = mode
        self.trustDomain = trustDomain
    }

    /// The SPIFFE ID of `service` in topology `namespace`.
    public func identity(namespace: String, service: String) -> String {
        "spiffe://\(trustDomain)/ns/\(namespace)/sa/\(service)"
    }
}
