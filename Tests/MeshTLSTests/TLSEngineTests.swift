import COpenSSL
import MeshTLS
import Testing

@Suite struct TLSEngineTests {
    @Test func mutualHandshakeThenDataBothWays() throws {
        let pki = try MeshPKI()
        let (client, server) = try pki.engines()
        try handshake(client, server)
        #expect(client.isHandshakeComplete)
        #expect(server.isHandshakeComplete)

        try client.writePlaintext(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        try pump(client, server)
        var received: [UInt8] = []
        #expect(try server.readPlaintext(into: &received) == 18)
        #expect(received == Array("GET / HTTP/1.1\r\n\r\n".utf8))

        try server.writePlaintext(Array("HTTP/1.1 200 OK\r\n\r\n".utf8))
        try pump(client, server)
        received.removeAll()
        try client.readPlaintext(into: &received)
        #expect(received == Array("HTTP/1.1 200 OK\r\n\r\n".utf8))
        // Nothing more to read: 0, not an error.
        #expect(try client.readPlaintext(into: &received) == 0)
    }

    @Test func eachSideSeesThePeersSPIFFEIdentity() throws {
        let pki = try MeshPKI()
        let (client, server) = try pki.engines(client: "frontend", server: "reviews")
        #expect(client.peerCertificate == nil)
        try handshake(client, server)
        #expect(server.peerCertificate?.uris == [MeshPKI.spiffe("frontend")])
        #expect(server.peerCertificate?.isCA == false)
        #expect(client.peerCertificate?.uris == [MeshPKI.spiffe("reviews")])
    }

    @Test func thePeerCertificateCarriesTheFactsOfTheLeafPresented() throws {
        let pki = try MeshPKI()
        let credential = try pki.credential("frontend")
        let client = try TLSEngine(context: TLSContext(configuration: TLSConfiguration(
            role: .client, credential: credential, trustedRoots: pki.issuer.root.certificateChain)))
        let server = try TLSEngine(context: pki.context(.server, "backend"))
        try handshake(client, server)
        let leaf = try #require(try CertificateInfo.chain(credential.certificateChain).first)
        let seen = try #require(server.peerCertificate)
        #expect(seen == PeerCertificate(leaf))
        #expect(seen.key == "EC P-256")
        #expect(seen.issuer == "CN=meshbed root,O=meshbed")
        #expect(seen.serial.count == 32)
        #expect(seen.notAfter == leaf.notAfter)
        #expect(seen.notAfter > leaf.notBefore)
    }

    @Test func handshakeDeliveredOneByteAtATimeCompletes() throws {
        let pki = try MeshPKI()
        let (client, server) = try pki.engines()
        try client.handshake()
        for _ in 0..<10 {
            for byte in client.takeCiphertext() { try server.receive([byte]) }
            for byte in server.takeCiphertext() { try client.receive([byte]) }
        }
        #expect(client.isHandshakeComplete && server.isHandshakeComplete)
    }

    @Test func closeNotifyReachesThePeerAndEndsWriting() throws {
        let pki = try MeshPKI()
        let (client, server) = try pki.engines()
        try handshake(client, server)
        try client.writePlaintext(Array("last words".utf8))
        try client.close()
        #expect(client.hasPendingCiphertext)
        #expect(throws: TLSError(.invalidState, "plaintext written after close")) { try client.writePlaintext([1]) }
        try pump(client, server)
        var received: [UInt8] = []
        try server.readPlaintext(into: &received)
        #expect(received == Array("last words".utf8))
        #expect(server.isClosedByPeer)
        #expect(!client.isClosedByPeer)

        // The server answers with its own close_notify.
        try server.close()
        try pump(client, server)
        #expect(try client.readPlaintext(into: &received) == 0)
        #expect(client.isClosedByPeer)
    }

    @Test func garbageInsteadOfAClientHelloIsACleanHandshakeError() throws {
        let pki = try MeshPKI()
        let server = try TLSEngine(context: pki.context(.server, "backend"))
        let garbage = Array("GET / HTTP/1.1\r\nHost: backend\r\n\r\n".utf8)
        let error = try #require(throws: TLSError.self) { try server.receive(garbage) }
        #expect(error.kind == .handshake)
        #expect(error.reason.contains("SSL routines::http request"))
        // Failed stays failed, with the same error.
        #expect(throws: error) { try server.receive([0x16, 0x03, 0x01]) }
        #expect(throws: error) { try readAll(server) }
        #expect(!server.isHandshakeComplete)
    }

    @Test func garbageAfterTheHandshakeIsACleanConnectionError() throws {
        let pki = try MeshPKI()
        let (client, server) = try pki.engines()
        try handshake(client, server)
        // An application-data record header, then bytes that are no valid ciphertext.
        try client.receive([0x17, 0x03, 0x03, 0x00, 0x20] + [UInt8](repeating: 0xAB, count: 32))
        let error = try #require(throws: TLSError.self) { try readAll(client) }
        #expect(error.kind == .connection)
        #expect(!error.reason.isEmpty)
        #expect(throws: error) { try client.writePlaintext([1]) }
        // OpenSSL queued a fatal alert for the peer, which the server then reports.
        let alert = client.takeCiphertext()
        #expect(!alert.isEmpty)
        try server.receive(alert)
        #expect(throws: TLSError.self) { try readAll(server) }
    }

    @Test func onceEverythingReceivedIsReadTheEngineWaitsForCiphertext() throws {
        let pki = try MeshPKI()
        let (client, server) = try pki.engines()
        try handshake(client, server)
        try client.writePlaintext(Array("first".utf8))
        try pump(client, server)
        var received: [UInt8] = []
        #expect(try server.readPlaintext(into: &received) == 5)
        #expect(server.awaitsCiphertext)
        #expect(try server.readPlaintext(into: &received) == 0)

        // Half a record: more to decrypt later, nothing now.
        try client.writePlaintext(Array("second".utf8))
        let record = client.takeCiphertext()
        try server.receive(Array(record[..<(record.count / 2)]))
        #expect(!server.awaitsCiphertext)
        #expect(try server.readPlaintext(into: &received) == 0)
        #expect(server.awaitsCiphertext)
        try server.receive(Array(record[(record.count / 2)...]))
        #expect(!server.awaitsCiphertext)
        #expect(try server.readPlaintext(into: &received) == 6)
        #expect(received == Array("firstsecond".utf8))

        // Two records in one delivery: both read in one call.
        try client.writePlaintext(Array("third".utf8))
        var both = client.takeCiphertext()
        try client.writePlaintext(Array("fourth".utf8))
        both += client.takeCiphertext()
        try server.receive(both)
        #expect(try server.readPlaintext(into: &received) == 11)
        #expect(received == Array("firstsecondthirdfourth".utf8))
        // A close_notify after that still ends the stream.
        try client.close()
        try pump(client, server)
        #expect(try server.readPlaintext(into: &received) == 0)
        #expect(server.isClosedByPeer)
    }

    @Test func anErrorOtherOpenSSLWorkLeftOnTheThreadDoesNotFailTheSession() throws {
        let pki = try MeshPKI()
        let (client, server) = try pki.engines()
        try handshake(client, server)
        leaveAnErrorOnTheQueue()
        // A write, then a read that must wait for the rest of its record: "want read", not a failure.
        try client.writePlaintext(Array("hello".utf8))
        let record = client.takeCiphertext()
        try server.receive(Array(record[..<3]))
        leaveAnErrorOnTheQueue()
        var received: [UInt8] = []
        #expect(try server.readPlaintext(into: &received) == 0)
        try server.receive(Array(record[3...]))
        #expect(try server.readPlaintext(into: &received) == 5)
        // A close_notify behind a stale entry is still the end of the stream.
        try client.close()
        try server.receive(client.takeCiphertext())
        leaveAnErrorOnTheQueue()
        #expect(try server.readPlaintext(into: &received) == 0)
        #expect(server.isClosedByPeer)
        ERR_clear_error()

        // A real failure behind a stale entry is still a failure, with OpenSSL's reason.
        let (client2, server2) = try pki.engines()
        try handshake(client2, server2)
        leaveAnErrorOnTheQueue()
        try client2.receive([0x17, 0x03, 0x03, 0x00, 0x20] + [UInt8](repeating: 0xAB, count: 32))
        let error = try #require(throws: TLSError.self) { try readAll(client2) }
        #expect(error.kind == .connection)
        #expect(error.reason.contains("bad record mac") || error.reason.contains("decryption failed"))
        #expect(ERR_peek_error() == 0)
    }

    /// Makes an unrelated OpenSSL call fail on this thread, so its error stays queued
    /// (as a certificate parse elsewhere on an event loop thread would leave one).
    private func leaveAnErrorOnTheQueue() {
        let garbage = Array("not a certificate".utf8)
        let bio = garbage.withUnsafeBytes { BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }
        #expect(PEM_read_bio_X509(bio, nil, nil, nil) == nil)
        BIO_free(bio)
        #expect(ERR_peek_error() != 0)
    }

    @Test func aClientCertificateFromAnotherCAIsRefused() throws {
        let mesh = try MeshPKI()
        let foreign = try MeshPKI()
        // The client trusts the mesh root (so it accepts the server) but its certificate
        // was signed by another root.
        let clientContext = try TLSContext(configuration: TLSConfiguration(
            role: .client, credential: foreign.credential("intruder"), trustedRoots: mesh.issuer.root.certificateChain))
        let client = try TLSEngine(context: clientContext)
        let server = try TLSEngine(context: mesh.context(.server, "backend"))
        let error = try #require(throws: TLSError.self) { try handshake(client, server) }
        #expect(error.kind == .handshake)
        #expect(error.reason.contains("certificate verify failed"))
        #expect(error.reason.contains("unable to get local issuer certificate"))
        #expect(!server.isHandshakeComplete)
        #expect(server.peerCertificate == nil)
        // The client learns from the server's alert.
        try client.receive(server.takeCiphertext())
        #expect(throws: TLSError.self) { try readAll(client) }
    }

    @Test func aServerCertificateFromAnotherCAIsRefusedByTheClient() throws {
        let mesh = try MeshPKI()
        let foreign = try MeshPKI()
        let client = try TLSEngine(context: mesh.context(.client, "frontend"))
        let server = try TLSEngine(context: TLSContext(configuration: TLSConfiguration(
            role: .server, credential: foreign.credential("backend"), trustedRoots: mesh.issuer.root.certificateChain)))
        let error = try #require(throws: TLSError.self) { try handshake(client, server) }
        #expect(error.kind == .handshake)
        #expect(error.reason.contains("certificate verify failed"))
        #expect(!client.isHandshakeComplete)
    }

    @Test func aClientWithoutACertificateIsRefused() throws {
        let pki = try MeshPKI()
        let client = try TLSEngine(context: TLSContext(configuration: TLSConfiguration(
            role: .client, credential: nil, trustedRoots: pki.issuer.root.certificateChain)))
        let server = try TLSEngine(context: pki.context(.server, "backend"))
        let error = try #require(throws: TLSError.self) { try handshake(client, server) }
        #expect(error.kind == .handshake)
        #expect(error.reason.contains("peer did not return a certificate"))
        #expect(!server.isHandshakeComplete)
    }

    @Test func anExpiredClientCertificateIsRefused() throws {
        let pki = try MeshPKI()
        // Valid for one hour in 2001.
        let expired = try pki.issuer.issueCredential(spiffeID: MeshPKI.spiffe("old"), lifetime: .seconds(3600), notBefore: 978_307_200)
        let client = try TLSEngine(context: TLSContext(configuration: TLSConfiguration(
            role: .client, credential: expired, trustedRoots: pki.issuer.root.certificateChain)))
        let server = try TLSEngine(context: pki.context(.server, "backend"))
        let error = try #require(throws: TLSError.self) { try handshake(client, server) }
        #expect(error.reason.contains("certificate has expired"))
    }

    @Test func anExpiredServerCertificateIsRefusedByTheClient() throws {
        let pki = try MeshPKI()
        // notBefore in the past: valid for one hour in 2001.
        let expired = try pki.issuer.issueCredential(spiffeID: MeshPKI.spiffe("old"), lifetime: .seconds(3600), notBefore: 978_307_200)
        let client = try TLSEngine(context: pki.context(.client, "frontend"))
        let server = try TLSEngine(context: TLSContext(configuration: TLSConfiguration(
            role: .server, credential: expired, trustedRoots: pki.issuer.root.certificateChain)))
        let error = try #require(throws: TLSError.self) { try handshake(client, server) }
        #expect(error.kind == .handshake)
        #expect(error.reason.contains("certificate has expired"))
        #expect(!client.isHandshakeComplete)
        #expect(client.peerCertificate == nil)
    }

    @Test func aClientCertificateNotYetValidIsRefused() throws {
        let pki = try MeshPKI()
        // Valid from 2100 on.
        let future = try pki.issuer.issueCredential(spiffeID: MeshPKI.spiffe("early"), lifetime: .seconds(3600), notBefore: 4_102_444_800)
        let client = try TLSEngine(context: TLSContext(configuration: TLSConfiguration(
            role: .client, credential: future, trustedRoots: pki.issuer.root.certificateChain)))
        let server = try TLSEngine(context: pki.context(.server, "backend"))
        let error = try #require(throws: TLSError.self) { try handshake(client, server) }
        #expect(error.reason.contains("certificate is not yet valid"))
        #expect(server.peerCertificate == nil)
    }

    @Test func oneMebibyteIsSplitIntoRecordsAndReassembled() throws {
        let pki = try MeshPKI()
        let (client, server) = try pki.engines()
        try handshake(client, server)
        // A pattern that does not repeat within a record, so a misplaced record would show.
        let message = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        try client.writePlaintext(message)

        let ciphertext = client.takeCiphertext()
        // Walk the records: every one application data (type 23), none over 2^14 + 256 bytes.
        var offset = 0, records = 0
        while offset + 5 <= ciphertext.count {
            #expect(ciphertext[offset] == 23)
            let length = Int(ciphertext[offset + 3]) << 8 | Int(ciphertext[offset + 4])
            #expect(length <= 16_384 + 256)
            offset += 5 + length
            records += 1
        }
        #expect(offset == ciphertext.count)
        #expect(records >= 64)

        // Delivered in uneven pieces, read back as it arrives.
        var received: [UInt8] = []
        received.reserveCapacity(message.count)
        var start = 0
        while start < ciphertext.count {
            let end = min(start + 10_007, ciphertext.count)
            try ciphertext[start..<end].withUnsafeBytes { try server.receive($0) }
            try server.readPlaintext(into: &received)
            start = end
        }
        #expect(received.count == message.count)
        #expect(received == message)
    }

    @Test func plaintextBeforeTheHandshakeIsRefused() throws {
        let pki = try MeshPKI()
        let (client, _) = try pki.engines()
        #expect(throws: TLSError(.invalidState, "plaintext written before the handshake completed")) {
            try client.writePlaintext([1, 2, 3])
        }
    }
}
