/// Mutual TLS between sidecars, as a snapshot carries it: the inbound mode and the SPIFFE
/// trust domain identities live in (`spiffe://TRUST_DOMAIN/ns/TOPOLOGY/sa/SERVICE`).
public struct MTLSConfig: Codable, Sendable, Equatable {
    /// How an inbound port treats callers.
    public enum Mode: String, Codable, Sendable, CaseIterable {
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

/// `PUT /v1/mtls`: the inbound mode every sidecar applies from the next snapshot on.
public struct MTLSChange: Codable, Sendable, Equatable {
    public var mode: MTLSConfig.Mode

    public init(mode: MTLSConfig.Mode) {
        self.mode = mode
    }
}
