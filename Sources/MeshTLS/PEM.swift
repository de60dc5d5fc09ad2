import COpenSSL

/// Reading and writing PEM through memory BIOs. Every pointer returned is owned by the caller.
enum PEM {
    /// Every certificate in `bytes`, in order (X509 pointers to free with X509_free).
    static func certificates(_ bytes: [UInt8], what: String, kind: TLSError.Kind) throws -> [OpaquePointer] {
        let bio = try memoryBIO(bytes, what: what, kind: kind)
        defer { BIO_free(bio) }
        var certificates: [OpaquePointer] = []
        while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
            certificates.append(certificate)
        }
        // The loop ends on "no start line" at the end of the input: expected, not an error.
        ERR_clear_error()
        if certificates.isEmpty {
            throw TLSError(kind, "\(what): no PEM certificate")
        }
        return certificates
    }

    /// The private key in `bytes` (an EVP_PKEY to free with EVP_PKEY_free).
    static func privateKey(_ bytes: [UInt8], what: String, kind: TLSError.Kind) throws -> OpaquePointer {
        let bio = try memoryBIO(bytes, what: what, kind: kind)
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
            throw TLSError.drainingQueue(kind, "\(what): no PEM private key")
        }
        return key
    }

    /// The public key in `bytes` (SubjectPublicKeyInfo PEM; an EVP_PKEY to free).
    static func publicKey(_ bytes: [UInt8], what: String, kind: TLSError.Kind) throws -> OpaquePointer {
        let bio = try memoryBIO(bytes, what: what, kind: kind)
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PUBKEY(bio, nil, nil, nil) else {
            throw TLSError.drainingQueue(kind, "\(what): no PEM public key")
        }
        return key
    }

    /// The bytes `write` puts into a fresh memory BIO (write returns 1 on success).
    static func written(what: String, _ write: (OpaquePointer) -> Int32) throws -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw TLSError.drainingQueue(.issuing, "BIO_new") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw TLSError.drainingQueue(.issuing, "writing \(what)") }
        let count = Int(BIO_ctrl_pending(bio))
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32(count)) }
        guard read == Int32(count) else { throw TLSError.drainingQueue(.issuing, "reading \(what)") }
        return bytes
    }

    /// The text `print` writes into a fresh memory BIO (print returns a negative count on
    /// failure), for names and serial numbers; "" when printing failed.
    static func printed(_ print: (OpaquePointer) -> Int32) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard print(bio) >= 0 else {
            ERR_clear_error()
            return ""
        }
        let count = Int(BIO_ctrl_pending(bio))
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32(count)) }
        return String(decoding: bytes.prefix(max(0, Int(read))), as: UTF8.self)
    }

    /// A memory BIO holding a copy of `bytes` (free with BIO_free).
    static func memoryBIO(_ bytes: [UInt8], what: String, kind: TLSError.Kind) throws -> OpaquePointer {
        guard !bytes.isEmpty, bytes.count < Int(Int32.max) else { throw TLSError(kind, "\(what): empty") }
        // A writable memory BIO holding a copy (BIO_new_mem_buf would read `bytes` in place).
        guard let bio = BIO_new(BIO_s_mem()) else { throw TLSError.drainingQueue(kind, "BIO_new") }
        let written = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
        guard written == Int32(bytes.count) else {
            BIO_free(bio)
            throw TLSError.drainingQueue(kind, "\(what): BIO_write")
        }
        return bio
    }
}
