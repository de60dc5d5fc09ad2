import FoundationEssentials
import MeshConfig
import MeshTLS
import MeshTopology

/// The control plane's certificate authority: it signs each sidecar's certificate request
/// for the SPIFFE ID of the service its instance belongs to, once the caller proved which
/// instance it is with its bootstrap token (the identity comes from the topology and the
/// token, never from the request). Each certificate lives `lifetime` (the topology's
/// `mesh.certTTL`); sidecars renew at half of it.
public struct CertificateAuthority: Sendable {
    /// The root (or intermediate) that signs.
    public let issuer: CertificateIssuer
    /// How long each certificate lives.
    public let lifetime: Duration
    /// The roots peers verify against (PEM).
    public var trustedRoots: [UInt8] { issuer.trustAnchor }
    /// The time in seconds since 1970 (a fixed value in tests).
    public var wallClock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    private let secret: String
    /// Instance ID → SPIFFE ID (every topology instance, and the ingress gateway).
    private let identities: [String: String]

    /// A CA for `topology`'s instances, signing with `issuer`; `secret` makes bootstrap tokens.
    public init(issuer: CertificateIssuer, topology: Topology, secret: String) {
        self.issuer = issuer
        self.lifetime = topology.mesh.certTTL
        self.secret = secret
        var identities = [Topology.ingressCaller: topology.identity(of: Topology.ingressCaller)]
        for instance in topology.instances { identities[instance.id] = instance.identity }
        self.identities = identities
    }

    /// Signs `request` if its token is its instance's. Throws 403 for an unknown instance or a wrong token, 400 for a request that is
    /// not a valid CSR for exactly the instance's identity.
    public func sign(_ request: CertificateRequest) throws(ControlError) -> CertificateGrant {
        let now = wallClock()
        guard let identity = identities[request.instance],
              BootstrapToken.isValid(request.token, secret: secret, instance: request.instance) else {
            throw ControlError(status: 403, "certificate request refused: instance '\(request.instance.prefix(64))' did not prove its identity (unknown instance or wrong bootstrap token)")
        }
        // Valid from a little before now (clock skew between processes: a minute, or the
        // whole lifetime when that is shorter) until exactly `lifetime` from now.
        let seconds = lifetime.components.seconds
        let skew = min(60, seconds)
        let chain: [UInt8]
        do {
            chain = try issuer.issue(csr: Array(request.csr.utf8), expectedSPIFFEID: identity,
                                     lifetime: .seconds(seconds + skew), notBefore: now - skew)
        } catch {
            throw .badRequest("certificate request refused: \(error)")
        }
        return CertificateGrant(identity: identity, certificateChain: String(decoding: chain, as: UTF8.self),
                                trustedRoots: String(decoding: trustedRoots, as: UTF8.self), notAfter: now + seconds)
    }
}
