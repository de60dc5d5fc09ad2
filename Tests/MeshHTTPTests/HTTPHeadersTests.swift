import MeshHTTP
import Testing

@Suite("HTTPHeaders")
struct HTTPHeadersTests {
    @Test func emptyHeaders() {
        let h = HTTPHeaders()
        #expect(h.count == 0)
        #expect(h.isEmpty)
        #expect(h.firstIndex(of: "host") == nil)
        #expect(h.firstString("host") == nil)
        #expect(h.rawBytes.isEmpty)
    }

    @Test func addAndLookUp() {
        var h = HTTPHeaders()
        h.add(name: "Host", value: "example.com")
        h.add(name: "X-Multi", value: "  one ")
        h.add(name: "x-multi", value: "two")
        #expect(h.count == 3)
        #expect(text(h.name(at: 0)) == "Host")
        #expect(text(h.value(at: 1)) == "one")
        #expect(h.firstIndex(of: "x-multi") == 1)
        #expect(h.firstIndex(of: "X-MULTI") == 1)
        #expect(h.contains("host"))
        #expect(!h.contains("hostx"))
        #expect(h.firstValue("host").map(text) == "example.com")
        #expect(h.values("x-multi").map(text) == ["one", "two"])
        #expect(h.firstString("HOST") == "example.com")
        #expect(text(h.rawBytes) == "Host: example.com\r\nX-Multi:   one \r\nx-multi: two\r\n")
    }

    @Test func dictionaryLiteralKeepsOrder() {
        let h: HTTPHeaders = ["b": "2", "a": "1", "c": "3"]
        #expect((0..<h.count).map { text(h.name(at: $0)) } == ["b", "a", "c"])
    }

    @Test func copiesAreIndependent() {
        var a: HTTPHeaders = ["k": "v"]
        let b = a
        a.add(name: "k2", value: "v2")
        #expect(a.count == 2)
        #expect(b.count == 1)
        #expect(b.firstString("k2") == nil)
    }

    @Test func validation() {
        #expect(HTTPHeaders.isValidName(bytes("X-Ok_1")))
        #expect(!HTTPHeaders.isValidName(bytes("")))
        #expect(!HTTPHeaders.isValidName(bytes("a b")))
        #expect(!HTTPHeaders.isValidName(bytes("a:b")))
        #expect(HTTPHeaders.isValidValue(bytes("any visible\tthing")))
        #expect(HTTPHeaders.isValidValue([0x80, 0xFF]))
        #expect(!HTTPHeaders.isValidValue(bytes("a\r\nInjected: 1")))
        #expect(!HTTPHeaders.isValidValue([0x00]))
    }

    @Test func parsedHeadersSupportLookups() throws {
        let r = try parseOne("GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\naccept: b\r\n\r\n")
        #expect(r.head.headers.values("accept").map(text) == ["a", "b"])
        var copy = r.head.headers
        copy.add(name: "Via", value: "1.1 meshbed")
        #expect(copy.count == 4)
        #expect(copy.firstString("via") == "1.1 meshbed")
        #expect(copy.firstString("host") == "h")
        #expect(r.head.headers.count == 3)
    }
}
