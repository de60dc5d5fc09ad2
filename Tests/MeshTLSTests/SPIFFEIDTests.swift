import MeshTLS
import Testing

/// One spelling per identity: anything a URI parser might read two ways is refused.
@Suite struct SPIFFEIDTests {
    @Test func aMeshIdentityParsesAndFormatsBack() throws {
        let text = "spiffe://meshbed.local/ns/book-info_2/sa/reviews.v1"
        let id = try SPIFFEID(parsing: text)
        #expect(id.trustDomain == "meshbed.local")
        #expect(id.namespace == "book-info_2")
        #expect(id.service == "reviews.v1")
        #expect(id.description == text)
        #expect(try SPIFFEID(trustDomain: "meshbed.local", namespace: "book-info_2", service: "reviews.v1") == id)
    }

    @Test func everythingOutsideTheStrictFormIsRefused() throws {
        let refused = [
            "", "spiffe://", "spiffe:///ns/t/sa/a", "https://meshbed.local/ns/t/sa/a", "SPIFFE://meshbed.local/ns/t/sa/a",
            "spiffe://Meshbed.local/ns/t/sa/a",           // upper-case trust domain
            "spiffe://meshbed.local:8443/ns/t/sa/a",      // port
            "spiffe://user@meshbed.local/ns/t/sa/a",      // userinfo
            "spiffe://meshbed.local/ns/t/sa/a?x=1",       // query
            "spiffe://meshbed.local/ns/t/sa/a#f",         // fragment
            "spiffe://meshbed.local/ns/t/sa/a/",          // trailing slash
            "spiffe://meshbed.local/ns//sa/a",            // empty segment
            "spiffe://meshbed.local/ns/../sa/a",          // dot segment
            "spiffe://meshbed.local/ns/t/sa/.",
            "spiffe://meshbed.local/ns/t/sa/A",           // upper case in the path
            "spiffe://meshbed.local/ns/t/sa/a%2Fb",       // percent-encoding
            "spiffe://meshbed.local/ns/t/sa/a b",
            "spiffe://meshbed.local/ns/t/sa/é",
            "spiffe://meshbed.local/ns/t/sa/a,URI:spiffe://meshbed.local/ns/t/sa/admin",
            "spiffe://meshbed.local/sa/a",                // not /ns/X/sa/Y
            "spiffe://meshbed.local/ns/t/sa/a/extra",
            "spiffe://meshbed.local/namespace/t/sa/a",
            "spiffe://" + String(repeating: "a", count: 256) + "/ns/t/sa/a",
            "spiffe://meshbed.local/ns/t/sa/" + String(repeating: "a", count: 2048),
        ]
        for text in refused {
            let error = try #require(throws: TLSError.self) { try SPIFFEID(parsing: text) }
            #expect(error.kind == .configuration)
            #expect(error.reason.hasPrefix("not a mesh SPIFFE id"))
            #expect(!error.reason.contains("\n"))
            #expect(error.reason.count < 400)
        }
    }

    @Test func theReasonNamesThePartAtFault() throws {
        let port = try #require(throws: TLSError.self) { try SPIFFEID(parsing: "spiffe://meshbed.local:1/ns/t/sa/a") }
        #expect(port.reason == #"not a mesh SPIFFE id (spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/SERVICE): trust domain "meshbed.local:1" may only hold a-z 0-9 - . _: "spiffe://meshbed.local:1/ns/t/sa/a""#)
        #expect(throws: TLSError(.configuration, "service may not be ..")) {
            try SPIFFEID(trustDomain: "meshbed.local", namespace: "t", service: "..")
        }
        #expect(throws: TLSError(.configuration, "namespace is empty")) {
            try SPIFFEID(trustDomain: "meshbed.local", namespace: "", service: "a")
        }
        // Control characters are not echoed into the one-line reason.
        let newline = try #require(throws: TLSError.self) { try SPIFFEID(parsing: "spiffe://meshbed.local/ns/t/sa/a\nb") }
        #expect(newline.reason.hasSuffix(#"may only hold a-z 0-9 - . _: "spiffe://meshbed.local/ns/t/sa/a?b""#))
    }
}
