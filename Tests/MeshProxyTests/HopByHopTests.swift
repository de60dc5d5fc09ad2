import MeshIO
import MeshTestSupport
import Testing

/// Issue 7, item 16: hop-by-hop stripping honours every Connection field, not only the first
/// (RFC 9110 §7.6.1: a field any of them names is for this hop only).
@Suite(.serialized) struct HopByHopTests {
    @Test func fieldsNamedByAnyConnectionFieldAreNotForwarded() throws {
        let mesh = try SidecarTests().makeMesh()
        defer { mesh.shutdown() }
        let request = "GET / HTTP/1.1\r\nHost: reviews\r\nConnection: keep-alive, x-first\r\nX-First: 1\r\n"
            + "Connection: x-second\r\nX-Second: 2\r\nX-Kept: 3\r\nConnection: close\r\n\r\n"
        let reply = try rawExchange(mesh.outbound, Array(request.utf8))
        #expect(reply.statuses == [200])
        // The echo app reflects the headers it received in its JSON body.
        let text = reply.text.lowercased()
        let kept = text.contains("\"x-kept\":\"3\""), first = text.contains("x-first"), second = text.contains("x-second")
        #expect(kept, "the ordinary field was not forwarded")
        #expect(!first, "a field named by the first Connection field was forwarded")
        #expect(!second, "a field named by the second Connection field was forwarded")
    }
}
