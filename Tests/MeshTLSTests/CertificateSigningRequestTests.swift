import Foundation
import MeshTLS
import Testing

/// The CA signs a request only for the key that signed it and only for the identity the caller proved.
@Suite struct CertificateSigningRequestTests {
    private static let reviews = MeshPKI.spiffe("reviews")

    /// The error `issue(csr:)` throws for `csr` when the caller is `reviews`.
    private func refusal(_ pki: MeshPKI, _ csr: [UInt8], expected: String = reviews) throws -> TLSError {
        let error = try #require(throws: TLSError.self) {
            // `_ =`: a wrongly issued certificate is not dumped into the failure message.
            _ = try pki.issuer.issue(csr: csr, expectedSPIFFEID: expected, lifetime: .seconds(60))
        }
        #expect(error.kind == .issuing)
        #expect(!error.reason.contains("\n"))
        return error
    }

    @Test func aRequestMadeHereIsSignedForTheCallersIdentity() throws {
        let pki = try MeshPKI()
        let privateKey = try CertificateIssuer.generatePrivateKey()
        let request = try CertificateSigningRequest.make(privateKey: privateKey, spiffeID: Self.reviews, commonName: "reviews")
        #expect(request.pem.starts(with: Array("-----BEGIN CERTIFICATE REQUEST-----".utf8)))
        #expect(request.uris == [Self.reviews])
        #expect(request.subject == "CN=reviews")
        #expect(request.publicKey == (try CertificateIssuer.publicKey(ofPrivateKey: privateKey)))

        let certificate = try pki.issuer.issue(csr: request.pem, expectedSPIFFEID: Self.reviews, lifetime: .seconds(20), notBefore: 2_000_000_000)
        let info = try #require(try CertificateInfo.chain(certificate).first)
        #expect(info.uris == [Self.reviews])
        #expect(!info.isCA)
        #expect(info.key == "EC P-256")
        #expect(info.notAfter - info.notBefore == 20)
        #expect(info.notBefore == 2_000_000_000)
        // The request's subject is not copied: the identity is the URI SAN alone.
        #expect(!info.subject.contains("reviews"))

        // The key that signed the request works with the certificate, in a handshake.
        let fresh = try pki.issuer.issue(csr: request.pem, expectedSPIFFEID: Self.reviews, lifetime: .seconds(60))
        let client = try TLSEngine(context: TLSContext(configuration: TLSConfiguration(
            role: .client, credential: PEMCredential(certificateChain: fresh, privateKey: privateKey), trustedRoots: pki.issuer.root.certificateChain)))
        let server = try TLSEngine(context: pki.context(.server, "backend"))
        try handshake(client, server)
        #expect(server.peerCertificate?.uris == [Self.reviews])
    }

    @Test func theIssuedLeafHasTheMeshExtensionsAsOpenSSLReadsThem() throws {
        let pki = try MeshPKI()
        let request = try CertificateSigningRequest.make(privateKey: CertificateIssuer.generatePrivateKey(), spiffeID: Self.reviews)
        let certificate = try pki.issuer.issue(csr: request.pem, expectedSPIFFEID: Self.reviews, lifetime: .seconds(3600))
        let openssl = try OpenSSLTool()
        // Our request verifies with openssl too.
        try openssl.write("ours.pem", request.pem)
        let verified = try openssl.run(["req", "-in", "ours.pem", "-noout", "-verify"])
        #expect((verified.stdout + verified.stderr).contains("verify OK"))

        try openssl.write("leaf.pem", certificate)
        try openssl.write("root.pem", pki.issuer.root.certificateChain)
        #expect(try openssl.run(["verify", "-CAfile", "root.pem", "leaf.pem"]).stdout == "leaf.pem: OK\n")
        let text = try openssl.run(["x509", "-in", "leaf.pem", "-noout", "-ext", "subjectAltName,basicConstraints,keyUsage"]).stdout
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines == [
            "X509v3 Basic Constraints: critical", "CA:FALSE",
            "X509v3 Key Usage: critical", "Digital Signature",
            "X509v3 Subject Alternative Name:", "URI:\(Self.reviews)",
        ])
        // Two issued serials: random, 16 octets, different.
        let other = try pki.issuer.issue(csr: request.pem, expectedSPIFFEID: Self.reviews, lifetime: .seconds(3600))
        let serials = try [certificate, other].map { try #require(try CertificateInfo.chain($0).first).serial }
        #expect(serials.allSatisfy { $0.count == 32 })
        #expect(serials[0] != serials[1])
    }

    @Test func aRequestMadeByOpenSSLReqIsAccepted() throws {
        let pki = try MeshPKI()
        let openssl = try OpenSSLTool()
        let keyFile = try openssl.key("key.pem", "ec:P-256")
        let csr = try openssl.request(keyFile: keyFile, subjectAltName: "URI:\(Self.reviews)")
        let parsed = try CertificateSigningRequest(pem: csr)
        #expect(parsed.uris == [Self.reviews])
        #expect(parsed.subject == "CN=service")

        let certificate = try pki.issuer.issue(csr: csr, expectedSPIFFEID: Self.reviews, lifetime: .seconds(600))
        try openssl.write("leaf.pem", certificate)
        try openssl.write("root.pem", pki.issuer.root.certificateChain)
        #expect(try openssl.run(["verify", "-CAfile", "root.pem", "leaf.pem"]).stdout == "leaf.pem: OK\n")
        // The certificate is for openssl's key.
        let ours = try openssl.run(["x509", "-in", "leaf.pem", "-noout", "-pubkey"]).stdout
        let theirs = try openssl.run(["pkey", "-in", "key.pem", "-pubout"]).stdout
        #expect(ours == theirs)
    }

    @Test func aTamperedRequestIsRefused() throws {
        let pki = try MeshPKI()
        let request = try CertificateSigningRequest.make(privateKey: CertificateIssuer.generatePrivateKey(), spiffeID: MeshPKI.spiffe("aaaaaaa"))
        // Someone on the way swaps the identity for one of the same length; the signature no longer matches.
        let tampered = try Self.replacingInDER(request.pem, Array("sa/aaaaaaa".utf8), with: Array("sa/reviews".utf8))
        #expect(throws: TLSError(.issuing, "certificate request: signature does not verify (altered, or not signed with its key)")) {
            _ = try CertificateSigningRequest(pem: tampered)
        }
        #expect(try refusal(pki, tampered).reason.contains("signature does not verify"))
    }

    @Test func requestsForOtherKeyTypesAreRefused() throws {
        let pki = try MeshPKI()
        let openssl = try OpenSSLTool()
        for (type, shown) in [("rsa:2048", "RSA 2048"), ("ec:P-384", "EC P-384")] {
            let csr = try openssl.request(keyFile: openssl.key("\(type).pem", type), subjectAltName: "URI:\(Self.reviews)")
            #expect(try refusal(pki, csr) == TLSError(.issuing, "certificate request: key is \(shown), not EC P-256"))
        }
    }

    @Test func requestsForOtherNamesThanTheCallersOneAreRefused() throws {
        let pki = try MeshPKI()
        let openssl = try OpenSSLTool()
        let keyFile = try openssl.key("key.pem", "ec:P-256")
        let admin = MeshPKI.spiffe("admin")

        let two = try openssl.request(keyFile: keyFile, subjectAltName: "URI:\(Self.reviews),URI:\(admin)")
        #expect(try refusal(pki, two).reason == "certificate request asks for 2 URI SANs (expected only \(Self.reviews))")

        let wrong = try openssl.request(keyFile: keyFile, subjectAltName: "URI:\(admin)")
        #expect(try refusal(pki, wrong).reason == "certificate request asks for \"\(admin)\", not the caller's identity \(Self.reviews)")

        let none = try openssl.request(keyFile: keyFile, subjectAltName: nil)
        #expect(try refusal(pki, none).reason == "certificate request asks for no URI SAN (expected \(Self.reviews))")

        let withDNS = try openssl.request(keyFile: keyFile, subjectAltName: "URI:\(Self.reviews),DNS:reviews.local")
        #expect(try refusal(pki, withDNS).reason
            == "certificate request: subjectAltName 2 is not a URI (only one SPIFFE URI may be asked for)")

        // A request made here for another service, signed properly, is still not the caller's.
        let made = try CertificateSigningRequest.make(privateKey: CertificateIssuer.generatePrivateKey(), spiffeID: admin)
        #expect(try refusal(pki, made.pem).reason.hasSuffix("not the caller's identity \(Self.reviews)"))
        // Same service in another namespace: refused too.
        let otherNamespace = try CertificateSigningRequest.make(
            privateKey: CertificateIssuer.generatePrivateKey(), spiffeID: "spiffe://meshbed.local/ns/other/sa/reviews")
        #expect(try refusal(pki, otherNamespace.pem).reason.contains("not the caller's identity"))
    }

    @Test func whatIsNoRequestIsAOneLineError() throws {
        let pki = try MeshPKI()
        let notPEM = TLSError(.issuing, "certificate request: not a PEM CERTIFICATE REQUEST")
        #expect(try refusal(pki, Array("hello".utf8)) == notPEM)
        // A certificate is no request.
        #expect(try refusal(pki, pki.credential("a").certificateChain) == notPEM)
        #expect(try refusal(pki, []) == TLSError(.issuing, "certificate request: empty"))
        #expect(try refusal(pki, [UInt8](repeating: 0x41, count: 20_000)) == TLSError(.issuing, "certificate request: larger than 16384 bytes"))
        // The expected identity is checked before anything is signed.
        let request = try CertificateSigningRequest.make(privateKey: CertificateIssuer.generatePrivateKey(), spiffeID: Self.reviews)
        #expect(try refusal(pki, request.pem, expected: "spiffe://Meshbed.local/ns/t/sa/reviews").reason.hasPrefix("expected identity: not a mesh SPIFFE id"))
        // A request can only be made for a strict mesh identity.
        #expect(throws: TLSError.self) {
            _ = try CertificateSigningRequest.make(privateKey: CertificateIssuer.generatePrivateKey(), spiffeID: "spiffe://meshbed.local/ns/t/sa/a,URI:x")
        }
    }

    @Test func leafLifetimesFromOneSecondToAYearAreAccepted() throws {
        let pki = try MeshPKI()
        let request = try CertificateSigningRequest.make(privateKey: CertificateIssuer.generatePrivateKey(), spiffeID: Self.reviews)
        for seconds: Int64 in [1, 366 * 86_400] {
            let certificate = try pki.issuer.issue(csr: request.pem, expectedSPIFFEID: Self.reviews, lifetime: .seconds(seconds), notBefore: 1_900_000_000)
            let info = try #require(try CertificateInfo.chain(certificate).first)
            #expect(info.notAfter - info.notBefore == seconds)
        }
        for lifetime: Duration in [.zero, .milliseconds(500), .seconds(367 * 86_400), .seconds(-5)] {
            let error = try #require(throws: TLSError.self) {
                _ = try pki.issuer.issue(csr: request.pem, expectedSPIFFEID: Self.reviews, lifetime: lifetime)
            }
            #expect(error.reason.hasPrefix("leaf certificate lifetime must be 1s to 366 days"))
        }
    }

    /// `pem` with `old` replaced by `new` (same length) inside its DER, re-encoded as PEM.
    static func replacingInDER(_ pem: [UInt8], _ old: [UInt8], with new: [UInt8]) throws -> [UInt8] {
        let lines = String(decoding: pem, as: UTF8.self).split(separator: "\n")
        let body = lines.filter { !$0.hasPrefix("-----") }.joined()
        var der = Array(try #require(Data(base64Encoded: body)))
        let start = try #require((0...(der.count - old.count)).first { Array(der[$0..<($0 + old.count)]) == old })
        der.replaceSubrange(start..<(start + old.count), with: new)
        let encoded = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return Array("\(lines.first!)\n\(encoded)\n\(lines.last!)\n".utf8)
    }
}
