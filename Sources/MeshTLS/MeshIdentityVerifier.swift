/// The mesh's check of a peer whose certificate OpenSSL has already verified (chain to the mesh
/// root, validity dates): the certificate must name exactly one identity, a SPIFFE id of this
/// trust domain (and namespace, when given), must not be a CA, and may have to be one expected
/// service. Refusals are one line, for logs, metrics labels and `x-meshbed-explain`.
public struct MeshIdentityVerifier: Sendable, Equatable {
    /// What the check decided.
    public enum Verdict: Sendable, Equatable {
        /// The peer is this mesh identity.
        case accepted(SPIFFEID)
        /// The peer is refused, for this reason.
        case refused(String)
    }

    /// The trust domain every peer must belong to.
    public let trustDomain: String
    /// The namespace every peer must belong to, or nil for any.
    public let namespace: String?

    /// A verifier for `trustDomain` (and `namespace`); neither is checked here beyond what
    /// `SPIFFEID` allows, so a verifier for a malformed domain accepts no one.
    public init(trustDomain: String, namespace: String? = nil) {
        self.trustDomain = trustDomain
        self.namespace = namespace
    }

    /// Accepts `peer` (nil: no certificate presented) as its SPIFFE id, or refuses it. With
    /// `expectedService`, only that service's id (in the verifier's namespace, or the peer's
    /// own when the verifier has none) is accepted.
    public func check(_ peer: PeerCertificate?, expectedService: String? = nil) -> Verdict {
        guard let peer else { return .refused("no certificate presented") }
        guard peer.uris.count == 1 else {
            return .refused(peer.uris.isEmpty ? "certificate has no URI SAN" : "certificate has \(peer.uris.count) URI SANs")
        }
        guard !peer.isCA else { return .refused("certificate is a CA") }
        let id: SPIFFEID
        do {
            id = try SPIFFEID(parsing: peer.uris[0])
        } catch let error as TLSError {
            return .refused("identity: \(error.reason)")
        } catch {
            return .refused("identity: \(error)")
        }
        guard id.trustDomain == trustDomain else {
            return .refused("identity \(id) is not in trust domain \(trustDomain)")
        }
        if let namespace, id.namespace != namespace {
            return .refused("identity \(id) is not in namespace \(namespace)")
        }
        if let expectedService, id.service != expectedService {
            let expected = "spiffe://\(trustDomain)/ns/\(namespace ?? id.namespace)/sa/\(expectedService)"
            return .refused("identity \(id) is not the expected \(expected)")
        }
        return .accepted(id)
    }

    /// nil when `check` accepts `peer`, else the one-line reason it refuses it.
    public func refusal(_ peer: PeerCertificate?, expectedService: String? = nil) -> String? {
        if case .refused(let reason) = check(peer, expectedService: expectedService) { return reason }
        return nil
    }
}
