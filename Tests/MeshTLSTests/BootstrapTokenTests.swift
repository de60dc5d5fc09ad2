import MeshTLS
import Testing

/// Bootstrap tokens: one per instance and secret, checked by recomputation.
@Suite struct BootstrapTokenTests {
    @Test func aTokenIsValidForItsInstanceAndSecretOnly() throws {
        let secret = try BootstrapToken.makeSecret()
        let other = try BootstrapToken.makeSecret()
        #expect(secret != other)
        #expect(secret.utf8.count == 64)
        let token = try BootstrapToken.token(secret: secret, instance: "reviews-v1-0")
        #expect(token == (try BootstrapToken.token(secret: secret, instance: "reviews-v1-0")))
        #expect(BootstrapToken.isValid(token, secret: secret, instance: "reviews-v1-0"))
        #expect(!BootstrapToken.isValid(token, secret: secret, instance: "reviews-v1-1"))
        #expect(!BootstrapToken.isValid(token, secret: other, instance: "reviews-v1-0"))
        #expect(!BootstrapToken.isValid("", secret: secret, instance: "reviews-v1-0"))
        #expect(!BootstrapToken.isValid(String(token.dropLast()), secret: secret, instance: "reviews-v1-0"))
    }

    /// HMAC-SHA256 as `openssl dgst -sha256 -hmac` computes it (RFC 4231-style known answer).
    @Test func isHMACSHA256OfTheInstance() throws {
        let token = try BootstrapToken.token(secret: "key", instance: "ingress")
        // printf 'meshbed-bootstrap/ingress' | openssl dgst -sha256 -hmac key
        #expect(token == "d6c79423cecb3641b36db1f56c7785227741328b58b70bcd86dc3be8dedfe00f")
    }
}
