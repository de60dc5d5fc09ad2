import COpenSSL
@testable import MeshTLS
import Testing

/// TLS 1.3 only: no older version (and so no renegotiation) is ever negotiated.
@Suite struct ProtocolVersionTests {
    @Test func theNegotiatedVersionIsTLS13WithX25519() throws {
        let pki = try MeshPKI()
        let (client, server) = try pki.engines()
        try handshake(client, server)
        #expect(client.negotiatedProtocol == "TLSv1.3")
        #expect(server.negotiatedProtocol == "TLSv1.3")
        #expect(server.negotiatedGroup == "x25519")
    }

    @Test func aTLS12ClientIsRefused() throws {
        let pki = try MeshPKI()
        let server = try TLSEngine(context: pki.context(.server, "backend"))
        // A plain OpenSSL client that offers TLS 1.2 at most (where renegotiation exists).
        let context = try #require(SSL_CTX_new(TLS_client_method()))
        defer { SSL_CTX_free(context) }
        #expect(meshbed_SSL_CTX_set_max_proto_version(context, TLS1_2_VERSION) == 1)
        let ssl = try #require(SSL_new(context))
        defer { SSL_free(ssl) }
        let readBIO = try #require(BIO_new(BIO_s_mem()))
        let writeBIO = try #require(BIO_new(BIO_s_mem()))
        _ = meshbed_BIO_set_mem_eof_return(readBIO, -1)
        SSL_set_bio(ssl, readBIO, writeBIO)
        SSL_set_connect_state(ssl)
        #expect(SSL_do_handshake(ssl) != 1)
        var hello = [UInt8](repeating: 0, count: Int(BIO_ctrl_pending(writeBIO)))
        #expect(hello.withUnsafeMutableBytes { BIO_read(writeBIO, $0.baseAddress, Int32($0.count)) } == Int32(hello.count))
        ERR_clear_error()

        let error = try #require(throws: TLSError.self) { try server.receive(hello) }
        #expect(error.kind == .handshake)
        #expect(error.reason.contains("unsupported protocol"))
    }

    @Test func renegotiationIsSwitchedOffInTheContext() throws {
        let pki = try MeshPKI()
        for role in [TLSConfiguration.Role.server, .client] {
            let context = try pki.context(role, "a")
            #expect(SSL_CTX_get_options(context.pointer) & meshbed_SSL_OP_NO_RENEGOTIATION() != 0)
            #expect(meshbed_SSL_CTX_get_min_proto_version(context.pointer) == TLS1_3_VERSION)
        }
    }
}
