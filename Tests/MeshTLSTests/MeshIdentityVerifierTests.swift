import MeshTLS
import Testing

/// After OpenSSL verified the chain, the mesh checks what the certificate says about who the peer is.
@Suite struct MeshIdentityVerifierTests {
    private let verifier = MeshIdentityVerifier(trustDomain: "meshbed.local", namespace: "t")

    /// What the server sees of a client presenting `credential` (chain verified by OpenSSL).
    private func seenByServer(_ pki: MeshPKI, _ credential: PEMCredential) throws -> PeerCertificate? {
        let client = try TLSEngine(context: TLSContext(configuration: TLSConfiguration(
            role: .client, credential: credential, trustedRoots: pki.issuer.root.certificateChain)))
        let server = try TLSEngine(context: pki.context(.server, "backend"))
        try handshake(client, server)
        #expect(server.isHandshakeComplete)
        return server.peerCertificate
    }

    /// A leaf for a key made by `openssl`, signed by `pki`'s root with `openssl x509 -req` and
    /// the extensions in `extensions` (openssl config syntax).
    private func signedByOpenSSL(_ pki: MeshPKI, _ openssl: OpenSSLTool, _ extensions: String) throws -> PEMCredential {
        let keyFile = try openssl.key("leaf.key", "ec:P-256")
        try openssl.write("leaf.csr", openssl.request(keyFile: keyFile, subjectAltName: nil))
        try openssl.write("root.pem", pki.issuer.root.certificateChain)
        try openssl.write("root.key", pki.issuer.root.privateKey)
        try openssl.write("extensions.cnf", Array(extensions.utf8))
        try openssl.run(["x509", "-req", "-in", "leaf.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial",
                         "-days", "1", "-extfile", "extensions.cnf", "-out", "leaf.pem"])
        return PEMCredential(certificateChain: try openssl.read("leaf.pem"), privateKey: try openssl.read("leaf.key"))
    }

    @Test func aMeshLeafIsAcceptedAsItsIdentity() throws {
        let pki = try MeshPKI()
        let peer = try seenByServer(pki, pki.credential("ratings"))
        let expected = try SPIFFEID(trustDomain: "meshbed.local", namespace: "t", service: "ratings")
        #expect(verifier.check(peer) == .accepted(expected))
        #expect(verifier.check(peer, expectedService: "ratings") == .accepted(expected))
        #expect(verifier.refusal(peer) == nil)
        #expect(MeshIdentityVerifier(trustDomain: "meshbed.local").refusal(peer, expectedService: "ratings") == nil)
    }

    @Test func theWrongServiceNamespaceOrTrustDomainIsRefused() throws {
        let pki = try MeshPKI()
        let peer = try seenByServer(pki, pki.credential("a"))
        #expect(verifier.refusal(peer, expectedService: "b")
            == "identity spiffe://meshbed.local/ns/t/sa/a is not the expected spiffe://meshbed.local/ns/t/sa/b")
        #expect(MeshIdentityVerifier(trustDomain: "meshbed.local", namespace: "prod").refusal(peer)
            == "identity spiffe://meshbed.local/ns/t/sa/a is not in namespace prod")
        #expect(MeshIdentityVerifier(trustDomain: "other.mesh").refusal(peer)
            == "identity spiffe://meshbed.local/ns/t/sa/a is not in trust domain other.mesh")
    }

    @Test func noCertificateOrNoURIIsRefused() throws {
        #expect(verifier.refusal(nil) == "no certificate presented")
        #expect(verifier.refusal(PeerCertificate(uris: [], isCA: false)) == "certificate has no URI SAN")
        #expect(verifier.refusal(PeerCertificate(uris: ["https://meshbed.local/ns/t/sa/a"], isCA: false))
            == #"identity: not a mesh SPIFFE id (spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/SERVICE): scheme is not spiffe://: "https://meshbed.local/ns/t/sa/a""#)
    }

    @Test func anOpenSSLLeafWithTwoURIsIsRefused() throws {
        let pki = try MeshPKI()
        let openssl = try OpenSSLTool()
        let credential = try signedByOpenSSL(pki, openssl, """
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature
            subjectAltName = URI:spiffe://meshbed.local/ns/t/sa/a,URI:spiffe://meshbed.local/ns/t/sa/admin

            """)
        let peer = try seenByServer(pki, credential)
        #expect(peer?.uris.count == 2)
        #expect(verifier.refusal(peer) == "certificate has 2 URI SANs")
        #expect(verifier.refusal(peer, expectedService: "admin") == "certificate has 2 URI SANs")
    }

    @Test func anOpenSSLLeafThatIsACAIsRefused() throws {
        let pki = try MeshPKI()
        let openssl = try OpenSSLTool()
        let credential = try signedByOpenSSL(pki, openssl, """
            basicConstraints = critical,CA:TRUE
            keyUsage = critical,digitalSignature,keyCertSign
            subjectAltName = URI:spiffe://meshbed.local/ns/t/sa/a

            """)
        let peer = try seenByServer(pki, credential)
        #expect(verifier.refusal(peer) == "certificate is a CA")
    }

    @Test func anOpenSSLLeafThatIsAProperMeshLeafIsAccepted() throws {
        // The same path as the two refusals above, with a certificate the mesh accepts: the
        // refusals come from the extensions, not from openssl's signing.
        let pki = try MeshPKI()
        let openssl = try OpenSSLTool()
        let credential = try signedByOpenSSL(pki, openssl, """
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature
            subjectAltName = URI:spiffe://meshbed.local/ns/t/sa/a

            """)
        let peer = try seenByServer(pki, credential)
        #expect(verifier.refusal(peer, expectedService: "a") == nil)
        #expect(peer?.key == "EC P-256")
    }
}
