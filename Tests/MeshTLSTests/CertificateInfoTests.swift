import MeshTLS
import Testing

/// The facts `meshbed status` and `/certs` show agree with what `openssl x509` reads from the same file.
@Suite struct CertificateInfoTests {
    /// `openssl x509` on `file`: field name (serial, notAfter, ...) to value, plus the URI SANs.
    private func openSSLFacts(_ openssl: OpenSSLTool, _ file: String) throws -> (fields: [String: String], uris: [String]) {
        let text = try openssl.run(["x509", "-in", file, "-noout", "-serial", "-startdate", "-enddate", "-subject", "-issuer",
                                    "-nameopt", "RFC2253", "-dateopt", "iso_8601", "-ext", "subjectAltName"]).stdout
        var fields: [String: String] = [:]
        var uris: [String] = []
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("URI:") {
                uris += trimmed.split(separator: ",").map { String($0.drop { $0 == " " }.dropFirst(4)) }
            } else if let equals = line.firstIndex(of: "=") {
                fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
        }
        return (fields, uris)
    }

    @Test func aMeshChainReadsAsOpenSSLReadsIt() throws {
        let pki = try MeshPKI()
        let leaf = try pki.issuer.issueCredential(spiffeID: MeshPKI.spiffe("reviews"), lifetime: .seconds(86_400))
        let chain = try CertificateInfo.chain(leaf.certificateChain + pki.issuer.root.certificateChain)
        try #require(chain.count == 2)
        let openssl = try OpenSSLTool()
        try openssl.write("leaf.pem", leaf.certificateChain)
        try openssl.write("root.pem", pki.issuer.root.certificateChain)
        for (info, file) in zip(chain, ["leaf.pem", "root.pem"]) {
            let facts = try openSSLFacts(openssl, file)
            #expect(info.serial == facts.fields["serial"])
            #expect(info.subject == facts.fields["subject"])
            #expect(info.issuer == facts.fields["issuer"])
            // openssl's ISO 8601 text is RFC 3339 with a space for the T.
            #expect(info.notBeforeText.replacingOccurrences(of: "T", with: " ") == facts.fields["notBefore"])
            #expect(info.notAfterText.replacingOccurrences(of: "T", with: " ") == facts.fields["notAfter"])
            #expect(info.uris == facts.uris)
            #expect(info.key == "EC P-256")
        }
        #expect(chain[0].uris == [MeshPKI.spiffe("reviews")])
        #expect(!chain[0].isCA)
        #expect(chain[1].isCA)
        #expect(chain[1].subject == "CN=meshbed root,O=meshbed")
        #expect(chain[0].issuer == chain[1].subject)
        #expect(chain[0].notAfter - chain[0].notBefore == 86_400 + 60)
    }

    @Test func anOpenSSLCertificateReadsAsOpenSSLReadsIt() throws {
        let openssl = try OpenSSLTool()
        let keyFile = try openssl.key("rsa.key", "rsa:2048")
        try openssl.run(["req", "-x509", "-key", keyFile, "-subj", "/O=Team, Inc./CN=legacy", "-days", "30", "-set_serial", "0x00FF0102",
                         "-addext", "subjectAltName=DNS:legacy.local,URI:spiffe://corp.example/ns/a/sa/b,URI:https://x.example/",
                         "-out", "cert.pem"])
        let info = try #require(try CertificateInfo.chain(openssl.read("cert.pem")).first)
        let facts = try openSSLFacts(openssl, "cert.pem")
        #expect(info.serial == "FF0102")
        #expect(info.serial == facts.fields["serial"])
        #expect(info.subject == #"CN=legacy,O=Team\, Inc."#)
        #expect(info.subject == facts.fields["subject"])
        #expect(info.uris == ["spiffe://corp.example/ns/a/sa/b", "https://x.example/"])
        #expect(info.notAfterText.replacingOccurrences(of: "T", with: " ") == facts.fields["notAfter"])
        #expect(info.notAfter - info.notBefore == 30 * 86_400)
        #expect(info.key == "RSA 2048")
        #expect(info.isCA)
    }

    @Test func datesBeforeAndAfter2050AndLeapDays() throws {
        #expect(CertificateInfo.rfc3339(0) == "1970-01-01T00:00:00Z")
        #expect(CertificateInfo.rfc3339(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(CertificateInfo.rfc3339(978_307_199) == "2000-12-31T23:59:59Z")
        #expect(CertificateInfo.rfc3339(4_102_444_799) == "2099-12-31T23:59:59Z")
        #expect(CertificateInfo.rfc3339(-1) == "1969-12-31T23:59:59Z")
        // A certificate whose dates straddle 2050 (UTCTime before, GeneralizedTime after).
        let pki = try MeshPKI()
        let leaf = try pki.issuer.issueCredential(spiffeID: MeshPKI.spiffe("a"), lifetime: .seconds(86_400), notBefore: 2_524_608_000 - 3600)
        let info = try #require(try CertificateInfo.chain(leaf.certificateChain).first)
        #expect(info.notBeforeText == "2049-12-31T23:00:00Z")
        #expect(info.notAfterText == "2050-01-01T23:00:00Z")
        #expect(info.notAfter == 2_524_608_000 - 3600 + 86_400)
    }

    @Test func whatIsNoCertificateIsAOneLineError() throws {
        #expect(throws: TLSError(.configuration, "certificate chain: no PEM certificate")) { try CertificateInfo.chain(Array("nope".utf8)) }
        #expect(throws: TLSError(.configuration, "certificate chain: empty")) { try CertificateInfo.chain([]) }
    }
}
