import MeshTLS
import Testing

@Suite struct CertificateIssuerTests {
    @Test func aLeafCarriesOneSPIFFEURIAndIsNoCA() throws {
        let pki = try MeshPKI()
        let (client, server) = try pki.engines(client: "ratings", server: "reviews")
        try handshake(client, server)
        let peer = try #require(server.peerCertificate)
        #expect(peer.uris == ["spiffe://meshbed.local/ns/t/sa/ratings"])
        #expect(!peer.isCA)
    }

    @Test func theControlPlaneSignsAPublicKeyItWasSent() throws {
        let pki = try MeshPKI()
        // The sidecar keeps its private key; only the public key travels.
        let privateKey = try CertificateIssuer.generatePrivateKey()
        let publicKey = try CertificateIssuer.publicKey(ofPrivateKey: privateKey)
        #expect(publicKey.starts(with: Array("-----BEGIN PUBLIC KEY-----".utf8)))
        let certificate = try pki.issuer.issue(publicKey: publicKey, spiffeID: MeshPKI.spiffe("sidecar"), lifetime: .seconds(20))
        #expect(certificate.starts(with: Array("-----BEGIN CERTIFICATE-----".utf8)))
        let client = try TLSEngine(context: TLSContext(configuration: TLSConfiguration(
            role: .client, credential: PEMCredential(certificateChain: certificate, privateKey: privateKey),
            trustedRoots: pki.issuer.root.certificateChain)))
        let server = try TLSEngine(context: pki.context(.server, "backend"))
        try handshake(client, server)
        #expect(server.peerCertificate?.uris == [MeshPKI.spiffe("sidecar")])
    }

    @Test func aRootIsACAAndCanBeLoadedBack() throws {
        let generated = try CertificateIssuer.generateRoot(commonName: "team root", lifetime: .seconds(86_400))
        let loaded = try CertificateIssuer(root: generated.root)
        #expect(loaded.root == generated.root)
        // A leaf is no root: refused as one.
        let leaf = try generated.issueCredential(spiffeID: MeshPKI.spiffe("a"), lifetime: .seconds(60))
        let error = try #require(throws: TLSError.self) { try CertificateIssuer(root: leaf) }
        #expect(error.reason.contains("not a CA"))
        // A root with another root's key: refused.
        let other = try CertificateIssuer.generateRoot(lifetime: .seconds(60))
        #expect(throws: TLSError.self) {
            try CertificateIssuer(root: PEMCredential(certificateChain: generated.root.certificateChain, privateKey: other.root.privateKey))
        }
    }

    @Test func identitiesThatAreNoSPIFFEIdsAreRefused() throws {
        let pki = try MeshPKI()
        for id in ["https://meshbed.local/sa/a", "spiffe://", "spiffe://meshbed.local/sa/a b", "spiffe://é/x", ""] {
            #expect(throws: TLSError.self) { try pki.issuer.issueCredential(spiffeID: id, lifetime: .seconds(60)) }
        }
    }

    @Test func aCommaCannotSmuggleASecondName() throws {
        // The SAN is one GENERAL_NAME, never a config string: the comma stays inside the URI.
        let pki = try MeshPKI()
        let id = "spiffe://meshbed.local/ns/t/sa/a,URI:spiffe://meshbed.local/ns/t/sa/admin"
        let credential = try pki.issuer.issueCredential(spiffeID: id, lifetime: .seconds(60))
        let client = try TLSEngine(context: TLSContext(configuration: TLSConfiguration(
            role: .client, credential: credential, trustedRoots: pki.issuer.root.certificateChain)))
        let server = try TLSEngine(context: pki.context(.server, "backend"))
        try handshake(client, server)
        #expect(server.peerCertificate?.uris == [id])
    }

    @Test func badPEMIsAOneLineConfigurationError() throws {
        let pki = try MeshPKI()
        let good = try pki.credential("a")
        let garbage = TLSConfiguration(role: .server, credential: PEMCredential(certificateChain: Array("not pem".utf8), privateKey: good.privateKey),
                                       trustedRoots: pki.issuer.root.certificateChain)
        let error = try #require(throws: TLSError.self) { try TLSContext(configuration: garbage) }
        #expect(error.kind == .configuration)
        #expect(!error.reason.contains("\n"))
        let otherKey = try CertificateIssuer.generatePrivateKey()
        let mismatched = TLSConfiguration(role: .server, credential: PEMCredential(certificateChain: good.certificateChain, privateKey: otherKey),
                                          trustedRoots: pki.issuer.root.certificateChain)
        let mismatch = try #require(throws: TLSError.self) { try TLSContext(configuration: mismatched) }
        #expect(mismatch.reason.contains("key values mismatch"))
        #expect(throws: TLSError(.configuration, "a server needs a certificate and key")) {
            try TLSContext(configuration: TLSConfiguration(role: .server, credential: nil, trustedRoots: pki.issuer.root.certificateChain))
        }
    }
}
