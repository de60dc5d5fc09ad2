import MeshIO
import MeshLoad
import MeshTestSupport
import Testing

@Suite struct LoadTargetTests {
    struct Good: Sendable, CustomTestStringConvertible {
        let url: String
        let address: String
        let hostHeader: String
        let path: String
        var testDescription: String { url }
    }

    @Test(arguments: [
        Good(url: "http://127.0.0.1:8080/a?b", address: "127.0.0.1:8080", hostHeader: "127.0.0.1:8080", path: "/a?b"),
        Good(url: "http://[::1]:9/", address: "[::1]:9", hostHeader: "[::1]:9", path: "/"),
        Good(url: "http://localhost:1", address: "127.0.0.1:1", hostHeader: "localhost:1", path: "/"),
        Good(url: "http://127.0.0.1", address: "127.0.0.1:80", hostHeader: "127.0.0.1", path: "/"),
        Good(url: "http://[::1]/x", address: "[::1]:80", hostHeader: "[::1]", path: "/x"),
        Good(url: "http://127.0.0.1:8080?q=1", address: "127.0.0.1:8080", hostHeader: "127.0.0.1:8080", path: "/?q=1"),
    ])
    func parsesReachableURLs(_ good: Good) throws {
        let target = try LoadTarget.parse(url: good.url).get()
        #expect(target.address == SocketAddress(good.address)!)
        #expect(target.address.description == good.address)
        #expect(target.hostHeader == good.hostHeader)
        #expect(target.path == good.path)
    }

    @Test(arguments: [
        "https://x",
        "http://example.com/",
        "http://127.0.0.1:99999/",
        "http://127.0.0.1:8080/a b",
        "http://127.0.0.1:8080/a\tb",
        "http://127.0.0.1:/",
        "http://:80/",
        "http://[::1/",
        "127.0.0.1:8080",
        "",
    ])
    func rejectsUnreachableURLs(_ url: String) {
        switch LoadTarget.parse(url: url) {
        case .success(let target):
            Issue.record("accepted \(url) as \(target.address) \(target.path)")
        case .failure(let error):
            #expect(!error.message.isEmpty)
        }
    }
}
