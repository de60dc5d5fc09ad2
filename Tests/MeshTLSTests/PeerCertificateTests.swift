import COpenSSL
@testable import MeshTLS
import Testing

/// What the engine reports about certificates a mesh CA never issues, so the layer above can refuse them.
@Suite struct PeerCertificateTests {
    /// A credential signed by `pki`'s root with the given extensions (and no URI added by the helper).
    private func crafted(_ pki: MeshPKI, _ extensions: [(Int32, String)]) throws -> PEMCredential {
        let privateKey = try CertificateIssuer.generatePrivateKey()
        let publicKey = try PEM.publicKey(CertificateIssuer.publicKey(ofPrivateKey: privateKey), what: "public key", kind: .issuing)
        defer { EVP_PKEY_free(publicKey) }
        let roots = try PEM.certificates(pki.issuer.root.certificateChain, what: "root", kind: .issuing)
        defer { roots.forEach { X509_free($0) } }
        let rootKey = try PEM.privateKey(pki.issuer.root.privateKey, what: "root key", kind: .issuing)
        defer { EVP_PKEY_free(rootKey) }
        let certificate = try CertificateIssuer.makeCertificate(
            commonName: nil, subjectKey: publicKey, issuer: roots[0], signingKey: rootKey, lifetime: .seconds(600),
            notBefore: nil, extensions: extensions, uri: nil)
        return PEMCredential(certificateChain: certificate, privateKey: privateKey)
    }

    /// What the server sees of a client presenting `credential`.
    private func seenByServer(_ pki: MeshPKI, _ credential: PEMCredential) throws -> PeerCertificate? {
        let client = try TLSEngine(context: TLSContext(configuration: TLSConfiguration(
            role: .client, credential: credential, trustedRoots: pki.issuer.root.certificateChain)))
        let server = try TLSEngine(context: pki.context(.server, "backend"))
        try handshake(client, server)
        #expect(server.isHandshakeComplete)
        return server.peerCertificate
    }

    @Test func aLeafWithTwoURIsReportsBoth() throws {
        let pki = try MeshPKI()
        let credential = try crafted(pki, [
            (NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature"),
            (NID_subject_alt_name, "URI:spiffe://meshbed.local/ns/t/sa/a,URI:spiffe://meshbed.local/ns/t/sa/b"),
        ])
        let peer = try seenByServer(pki, credential)
        #expect(peer?.uris == ["spiffe://meshbed.local/ns/t/sa/a", "spiffe://meshbed.local/ns/t/sa/b"])
        #expect(peer?.isCA == false)
    }

    @Test func aLeafThatIsACAIsReportedAsOne() throws {
        let pki = try MeshPKI()
        let credential = try crafted(pki, [
            (NID_basic_constraints, "critical,CA:TRUE"), (NID_key_usage, "critical,digitalSignature,keyCertSign"),
            (NID_subject_alt_name, "URI:spiffe://meshbed.local/ns/t/sa/a"),
        ])
        let peer = try seenByServer(pki, credential)
        #expect(peer?.uris == ["spiffe://meshbed.local/ns/t/sa/a"])
        #expect(peer?.isCA == true)
    }

    @Test func aLeafWithoutURIsReportsNone() throws {
        let pki = try MeshPKI()
        let credential = try crafted(pki, [
            (NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature"),
            (NID_subject_alt_name, "DNS:backend.meshbed.local"),
        ])
        let peer = try seenByServer(pki, credential)
        #expect(peer?.uris == [])
        #expect(peer?.isCA == false)
    }
}
