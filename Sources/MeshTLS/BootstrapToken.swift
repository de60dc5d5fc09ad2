import COpenSSL

/// How a sidecar proves to the control plane's certificate authority which instance it is,
/// before the CA signs a certificate for that instance's service.
///
/// The orchestrator makes one random secret per run and hands it to the control plane only;
/// each instance's token is HMAC-SHA256(secret, "meshbed-bootstrap/" + instance ID), handed to
/// that instance's sidecar alone (in its environment, which only the same user can read; never
/// on a command line or in a shared file). A sidecar cannot make another instance's token, and
/// the CA recomputes the token rather than storing a list, so a restarted sidecar keeps working.
/// Comparison is constant-time.
public enum BootstrapToken {
    /// A new random secret (32 bytes, as 64 lower-case hex digits).
    public static func makeSecret() throws -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&bytes, 32) == 1 else { throw TLSError.drainingQueue(.configuration, "RAND_bytes") }
        return hex(bytes)
    }

    /// The token of `instance` under `secret`.
    public static func token(secret: String, instance: String) throws -> String {
        let key = Array(secret.utf8)
        let message = Array("meshbed-bootstrap/\(instance)".utf8)
        var digest = [UInt8](repeating: 0, count: 32)
        var length = 0
        let done = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                EVP_Q_mac(nil, "HMAC", nil, "SHA256", nil, keyBytes.baseAddress, keyBytes.count,
                          messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBytes.count,
                          &digest, digest.count, &length)
            }
        }
        guard done != nil, length == 32 else { throw TLSError.drainingQueue(.configuration, "HMAC-SHA256") }
        return hex(digest)
    }

    /// Whether `token` is `instance`'s token under `secret` (in constant time).
    public static func isValid(_ token: String, secret: String, instance: String) -> Bool {
        guard let expected = try? self.token(secret: secret, instance: instance) else { return false }
        let given = Array(token.utf8), wanted = Array(expected.utf8)
        guard given.count == wanted.count else { return false }
        return CRYPTO_memcmp(given, wanted, given.count) == 0
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
