import COpenSSL

/// A configured OpenSSL `SSL_CTX`, shared by every `TLSEngine` of one side (one per role and
/// credential). Built once; immutable afterwards.
///
/// `@unchecked Sendable`: the SSL_CTX is fully configured in `init` and never mutated after;
/// OpenSSL documents creating `SSL` objects from a configured SSL_CTX as safe from many
/// threads at once (its reference counts and the shared X509_STORE take their own locks).
/// Swapping a rotated certificate is done by building a new context, never by mutating one.
public final class TLSContext: @unchecked Sendable {
    /// The owned SSL_CTX (freed in deinit; engines hold their own reference through SSL_new).
    let pointer: OpaquePointer
    /// The role every engine of this context plays.
    public let role: TLSConfiguration.Role

    /// A context for `configuration`; throws `.configuration` with OpenSSL's reason when the
    /// PEM does not parse, the key does not match the certificate, or an option is refused.
    public init(configuration: TLSConfiguration) throws {
        ERR_clear_error()
        let method = configuration.role == .server ? TLS_server_method() : TLS_client_method()
        guard let context = SSL_CTX_new(method) else {
            throw TLSError.drainingQueue(.configuration, "SSL_CTX_new")
        }
        pointer = context
        role = configuration.role
        // From here on, deinit frees `context` if a step throws.
        try Self.check(meshbed_SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION), "TLS 1.3 minimum")
        try Self.check(meshbed_SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION), "TLS 1.3 maximum")
        try Self.check(meshbed_SSL_CTX_set1_groups_list(context, "X25519:P-256"), "groups X25519:P-256")
        // TLS 1.3 has no renegotiation; the option also refuses it should a version slip in.
        _ = SSL_CTX_set_options(context, meshbed_SSL_OP_NO_RENEGOTIATION() | meshbed_SSL_OP_NO_TICKET())
        // No resumption: a server would otherwise send tickets after every handshake.
        try Self.check(SSL_CTX_set_num_tickets(context, 0), "no session tickets")

        if let credential = configuration.credential {
            try Self.use(credential, in: context)
        } else if configuration.role == .server {
            throw TLSError(.configuration, "a server needs a certificate and key")
        }

        let roots = try PEM.certificates(configuration.trustedRoots, what: "trusted roots", kind: .configuration)
        defer { roots.forEach { X509_free($0) } }
        let store = SSL_CTX_get_cert_store(context)
        for root in roots {
            try Self.check(X509_STORE_add_cert(store, root), "trusted root")
        }
        // Mutual TLS: a server requires the client's certificate, a client the server's.
        let mode = configuration.role == .server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER
        SSL_CTX_set_verify(context, mode, nil)
    }

    deinit {
        SSL_CTX_free(pointer)
    }

    /// Makes `context` present `credential` (leaf, intermediates, key).
    private static func use(_ credential: PEMCredential, in context: OpaquePointer) throws {
        let chain = try PEM.certificates(credential.certificateChain, what: "certificate chain", kind: .configuration)
        defer { chain.forEach { X509_free($0) } }
        try check(SSL_CTX_use_certificate(context, chain[0]), "certificate")
        for intermediate in chain.dropFirst() {
            try check(meshbed_SSL_CTX_add1_chain_cert(context, intermediate), "chain certificate")
        }
        let key = try PEM.privateKey(credential.privateKey, what: "private key", kind: .configuration)
        defer { EVP_PKEY_free(key) }
        try check(SSL_CTX_use_PrivateKey(context, key), "private key")
        try check(SSL_CTX_check_private_key(context), "private key matching the certificate")
    }

    private static func check(_ result: Int32, _ step: String) throws {
        if result != 1 { throw TLSError.drainingQueue(.configuration, step) }
    }
}
