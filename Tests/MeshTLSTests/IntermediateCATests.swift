import COpenSSL
@testable import MeshTLS
import Testing

/// Leaves signed by an intermediate (pathlen 0) carry it in their chain and verify to the root alone.
@Suite struct IntermediateCATests {
    private func engine(_ role: TLSConfiguration.Role, _ credential: PEMCredential, trusting root: CertificateIssuer) throws -> TLSEngine {
        try TLSEngine(context: TLSContext(configuration: TLSConfiguration(role: role, credential: credential, trustedRoots: root.trustAnchor)))
    }

    @Test func leavesFromAnIntermediateVerifyToTheRootAlone() throws {
        let root = try CertificateIssuer.generateRoot(lifetime: .seconds(86_400))
        #expect(root.trustAnchor == root.root.certificateChain)
        #expect(root.intermediates.isEmpty)
        let intermediate = try root.issueIntermediate(lifetime: .seconds(3600))
        #expect(intermediate.trustAnchor == root.trustAnchor)

        let credential = try intermediate.issueCredential(spiffeID: MeshPKI.spiffe("frontend"), lifetime: .seconds(600))
        let chain = try CertificateInfo.chain(credential.certificateChain)
        try #require(chain.count == 2)
        #expect(chain[0].uris == [MeshPKI.spiffe("frontend")])
        #expect(chain[0].issuer == "CN=meshbed intermediate,O=meshbed")
        #expect(chain[1].subject == "CN=meshbed intermediate,O=meshbed")
        #expect(chain[1].issuer == "CN=meshbed root,O=meshbed")
        #expect(chain[1].isCA)

        // Client from the intermediate, server from the root; both trust the root only.
        let client = try engine(.client, credential, trusting: root)
        let server = try engine(.server, root.issueCredential(spiffeID: MeshPKI.spiffe("backend"), lifetime: .seconds(600)), trusting: root)
        try handshake(client, server)
        #expect(server.isHandshakeComplete)
        #expect(server.peerCertificate?.issuer == "CN=meshbed intermediate,O=meshbed")
        #expect(client.peerCertificate?.issuer == "CN=meshbed root,O=meshbed")

        // The same as openssl sees it.
        let openssl = try OpenSSLTool()
        try openssl.write("root.pem", root.trustAnchor)
        try openssl.write("intermediate.pem", intermediate.intermediates)
        try openssl.write("leaf.pem", credential.certificateChain)
        #expect(try openssl.run(["verify", "-CAfile", "root.pem", "-untrusted", "intermediate.pem", "leaf.pem"]).stdout == "leaf.pem: OK\n")
        let constraints = try openssl.run(["x509", "-in", "intermediate.pem", "-noout", "-ext", "basicConstraints"]).stdout
        #expect(constraints.contains("CA:TRUE, pathlen:0"))
    }

    @Test func aLeafPresentedWithoutItsIntermediateIsRefused() throws {
        let root = try CertificateIssuer.generateRoot(lifetime: .seconds(86_400))
        let intermediate = try root.issueIntermediate(lifetime: .seconds(3600))
        let credential = try intermediate.issueCredential(spiffeID: MeshPKI.spiffe("frontend"), lifetime: .seconds(600))
        // The chain cut after its first certificate.
        let chain = String(decoding: credential.certificateChain, as: UTF8.self)
        let firstEnd = try #require(chain.range(of: "-----END CERTIFICATE-----\n"))
        let leafPEM = Array(chain[..<firstEnd.upperBound].utf8)
        #expect(try CertificateInfo.chain(leafPEM).count == 1)
        let client = try engine(.client, PEMCredential(certificateChain: leafPEM, privateKey: credential.privateKey), trusting: root)
        let server = try engine(.server, root.issueCredential(spiffeID: MeshPKI.spiffe("backend"), lifetime: .seconds(600)), trusting: root)
        let error = try #require(throws: TLSError.self) { try handshake(client, server) }
        #expect(error.reason.contains("unable to get local issuer certificate"))
    }

    @Test func anIntermediateCannotMakeAnotherCA() throws {
        let root = try CertificateIssuer.generateRoot(lifetime: .seconds(86_400))
        let intermediate = try root.issueIntermediate(lifetime: .seconds(3600))
        #expect(throws: TLSError(.issuing, "an intermediate is issued by the root only (intermediates have pathlen 0)")) {
            _ = try intermediate.issueIntermediate(lifetime: .seconds(600))
        }
        // A CA forged under the intermediate anyway: pathlen 0 makes every peer refuse its leaves.
        let subKeyPEM = try CertificateIssuer.generatePrivateKey()
        let subKey = try PEM.privateKey(subKeyPEM, what: "key", kind: .issuing)
        defer { EVP_PKEY_free(subKey) }
        let signers = try PEM.certificates(intermediate.root.certificateChain, what: "intermediate", kind: .issuing)
        defer { signers.forEach { X509_free($0) } }
        let signingKey = try PEM.privateKey(intermediate.root.privateKey, what: "key", kind: .issuing)
        defer { EVP_PKEY_free(signingKey) }
        let subCA = try CertificateIssuer.makeCertificate(
            commonName: "rogue", subjectKey: subKey, issuer: signers[0], signingKey: signingKey, lifetime: .seconds(600), notBefore: nil,
            extensions: [(NID_basic_constraints, "critical,CA:TRUE"), (NID_key_usage, "critical,keyCertSign"), (NID_subject_key_identifier, "hash")],
            uri: nil)
        let rogue = try CertificateIssuer(root: PEMCredential(certificateChain: subCA + intermediate.root.certificateChain, privateKey: subKeyPEM))
        let credential = try rogue.issueCredential(spiffeID: MeshPKI.spiffe("admin"), lifetime: .seconds(600))
        #expect(try CertificateInfo.chain(credential.certificateChain).count == 3)
        let client = try engine(.client, credential, trusting: root)
        let server = try engine(.server, root.issueCredential(spiffeID: MeshPKI.spiffe("backend"), lifetime: .seconds(600)), trusting: root)
        let error = try #require(throws: TLSError.self) { try handshake(client, server) }
        #expect(error.reason.contains("path length constraint exceeded"))
    }

    @Test func aChainWhoseLinksDoNotMatchIsRefused() throws {
        let root = try CertificateIssuer.generateRoot(lifetime: .seconds(86_400))
        let other = try CertificateIssuer.generateRoot(lifetime: .seconds(86_400))
        let intermediate = try root.issueIntermediate(lifetime: .seconds(3600))
        let mismatched = PEMCredential(certificateChain: intermediate.intermediates + other.trustAnchor, privateKey: intermediate.root.privateKey)
        #expect(throws: TLSError(.issuing, "root certificate chain: certificate 1 is not issued by certificate 2")) {
            _ = try CertificateIssuer(root: mismatched)
        }
    }
}
