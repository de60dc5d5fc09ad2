import Foundation
import MeshConfig
import MeshControl
import MeshIO
import MeshTLS
import MeshTopology
import Testing

/// The control plane's CA: it signs a sidecar's CSR for the identity its instance has in the
/// topology, once the bootstrap token proves the instance; the root is kept in the state
/// directory, owner-only, and the same on the next start.
@Suite struct CertificateAuthorityTests {
    static let secret = String(repeating: "5e", count: 32)

    static func authority(now: Int64 = 1_800_000_000) throws -> CertificateAuthority {
        var authority = CertificateAuthority(issuer: try CertificateIssuer.generateRoot(lifetime: .seconds(86_400 * 365)),
                                             topology: bookinfo(), secret: secret)
        authority.wallClock = { now }
        return authority
    }

    static func request(instance: String, identity: String, token: String? = nil) throws -> CertificateRequest {
        let key = try CertificateIssuer.generatePrivateKey()
        let csr = try CertificateSigningRequest.make(privateKey: key, spiffeID: identity)
        let token = try token ?? BootstrapToken.token(secret: secret, instance: instance)
        return CertificateRequest(instance: instance, token: token,
                                  csr: String(decoding: csr.pem, as: UTF8.self))
    }

    static func post(_ control: ControlPlane, _ request: CertificateRequest) throws -> TestResponse {
        try TestHTTPClient.request(control, "POST", "/v1/certificates", body: encodeJSON(request))
    }

    @Test func signsTheInstancesOwnIdentity() throws {
        var configuration = ControlConfiguration()
        configuration.certificateAuthority = try Self.authority()
        try withControlPlane(configuration: configuration) { control in
            let identity = "spiffe://meshbed.local/ns/bookinfo/sa/reviews"
            let response = try Self.post(control, Self.request(instance: "reviews-v2-0", identity: identity))
            #expect(response.status == 200)
            let grant = try response.decode(CertificateGrant.self)
            #expect(grant.identity == identity)
            #expect(grant.notAfter == 1_800_000_000 + 86_400)
            let leaf = try #require(try CertificateInfo.chain(Array(grant.certificateChain.utf8)).first)
            #expect(leaf.uris == [identity])
            #expect(!leaf.isCA)
            #expect(leaf.notAfter == grant.notAfter)
            #expect(leaf.key == "EC P-256")
            #expect(try CertificateInfo.chain(Array(grant.trustedRoots.utf8)).first?.isCA == true)
        }
    }

    @Test func theGatewayHasItsOwnIdentity() throws {
        var configuration = ControlConfiguration()
        configuration.certificateAuthority = try Self.authority()
        try withControlPlane(configuration: configuration) { control in
            let response = try Self.post(control, Self.request(instance: "ingress", identity: "spiffe://meshbed.local/ns/bookinfo/sa/ingress"))
            #expect(response.status == 200)
        }
    }

    @Test func refusesWithoutProof() throws {
        var configuration = ControlConfiguration()
        configuration.certificateAuthority = try Self.authority()
        try withControlPlane(configuration: configuration) { control in
            let reviews = "spiffe://meshbed.local/ns/bookinfo/sa/reviews"
            // Another instance's token, a made-up token, an unknown instance: 403.
            let stolen = try BootstrapToken.token(secret: Self.secret, instance: "ratings-v1-0")
            #expect(try Self.post(control, Self.request(instance: "reviews-v1-0", identity: reviews, token: stolen)).status == 403)
            #expect(try Self.post(control, Self.request(instance: "reviews-v1-0", identity: reviews, token: "00")).status == 403)
            #expect(try Self.post(control, Self.request(instance: "nobody-v1-0", identity: reviews)).status == 403)
            // The right token asking for another service's identity: 400, nothing signed.
            let other = try Self.post(control, Self.request(instance: "reviews-v1-0", identity: "spiffe://meshbed.local/ns/bookinfo/sa/ratings"))
            #expect(other.status == 400)
            #expect(String(decoding: other.body, as: UTF8.self).contains("certificate request refused"))
            // Not JSON, not a CSR.
            #expect(try TestHTTPClient.request(control, "POST", "/v1/certificates", body: Array("{".utf8)).status == 400)
            var garbage = try Self.request(instance: "reviews-v1-0", identity: reviews)
            garbage.csr = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
            #expect(try Self.post(control, garbage).status == 400)
        }
    }

    @Test func noCertificatesWithoutMTLS() throws {
        try withControlPlane { control in
            let response = try Self.post(control, Self.request(instance: "reviews-v1-0", identity: "spiffe://meshbed.local/ns/bookinfo/sa/reviews"))
            #expect(response.status == 404)
        }
    }

    @Test func aShortLifetimeIsValidFromNow() throws {
        let topology = Topology(name: "bookinfo", mesh: MeshSettings(certTTL: .seconds(20)), services: bookinfo().services)
        var authority = CertificateAuthority(issuer: try CertificateIssuer.generateRoot(lifetime: .seconds(86_400)),
                                             topology: topology, secret: Self.secret)
        let now = Int64(Date().timeIntervalSince1970)
        authority.wallClock = { now }
        var configuration = ControlConfiguration()
        configuration.certificateAuthority = authority
        try withControlPlane(topology, configuration: configuration) { control in
            let response = try Self.post(control, Self.request(instance: "details-v1-0", identity: "spiffe://meshbed.local/ns/bookinfo/sa/details"))
            let grant = try response.decode(CertificateGrant.self)
            #expect(grant.notAfter == now + 20)
            let leaf = try #require(try CertificateInfo.chain(Array(grant.certificateChain.utf8)).first)
            #expect(leaf.notBefore <= now && leaf.notAfter == now + 20)
        }
    }

    @Test func theRootIsKeptOwnerOnlyAndReused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshbed-ca-\(UUID().uuidString)").path + "/ca"
        defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
        let first = try CertificateAuthority.loadOrCreateRoot(in: directory)
        let second = try CertificateAuthority.loadOrCreateRoot(in: directory)
        #expect(first.root == second.root)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + CertificateAuthority.rootKeyFile)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let directoryAttributes = try FileManager.default.attributesOfItem(atPath: directory)
        #expect((directoryAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        // A pinned root loads from its two files; a directory with one of them is refused.
        #expect(try CertificateAuthority.loadRoot(certificateFile: directory + "/" + CertificateAuthority.rootCertificateFile,
                                                   keyFile: directory + "/" + CertificateAuthority.rootKeyFile).root == first.root)
        try FileManager.default.removeItem(atPath: directory + "/" + CertificateAuthority.rootKeyFile)
        #expect(throws: ControlError.self) { try CertificateAuthority.loadOrCreateRoot(in: directory) }
        #expect(throws: ControlError.self) { try CertificateAuthority.loadRoot(certificateFile: directory + "/none.pem", keyFile: directory + "/none.key") }
    }
}

/// `PUT /v1/mtls` moves the mode between strict and permissive live (a new version that
/// carries it); a topology without mTLS cannot turn it on.
@Suite struct MTLSModeChangeTests {
    @Test func strictAndPermissiveSwitchLive() throws {
        try withControlPlane { control in
            let before = control.version
            let response = try TestHTTPClient.request(control, "PUT", "/v1/mtls", body: Array(#"{"mode":"permissive"}"#.utf8))
            #expect(response.status == 200)
            #expect(control.version == before + 1)
            #expect(control.currentSnapshot().mtls == MTLSConfig(mode: .permissive, trustDomain: "meshbed.local"))
            try control.setMTLS(mode: .strict)
            #expect(control.currentSnapshot().mtls?.mode == .strict)
            #expect(try TestHTTPClient.request(control, "PUT", "/v1/mtls", body: Array(#"{"mode":"disabled"}"#.utf8)).status == 400)
        }
    }

    @Test func noModeChangeWithoutMTLS() throws {
        let topology = Topology(name: "plain", mesh: MeshSettings(mtls: .disabled), services: bookinfo().services)
        try withControlPlane(topology) { control in
            let response = try TestHTTPClient.request(control, "PUT", "/v1/mtls", body: Array(#"{"mode":"strict"}"#.utf8))
            #expect(response.status == 409)
            #expect(control.currentSnapshot().mtls == nil)
        }
    }
}
