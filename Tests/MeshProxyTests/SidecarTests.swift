import Foundation
import MeshConfig
import MeshEcho
import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshProxy
import MeshTestSupport
import Testing

/// A sidecar against a fake control plane and real echo apps, driven with curl.
@Suite(.serialized) struct SidecarTests {
    struct Mesh {
        let group: EventLoopGroup
        let control: FakeControlPlane
        let echoes: [String: EchoServer]
        let sidecar: Sidecar
        var outbound: SocketAddress { sidecar.addresses["outbound"]! }
        var admin: SocketAddress { sidecar.addresses["admin"]! }

        func shutdown() {
            sidecar.shutdown()
            for echo in echoes.values { echo.shutdown() }
            control.server.shutdown()
            group.shutdown()
        }
    }

    /// Echo apps reviews v1 (two instances) and v2 (one), a local app for the sidecar itself,
    /// and a snapshot routing `end-user: jason` to v2 and everything else 50/50.
    func makeMesh(routes: [RouteConfig]? = nil) throws -> Mesh {
        let group = try EventLoopGroup(threads: 1)
        var echoes: [String: EchoServer] = [:]
        for (id, version) in [("reviews-v1-0", "v1"), ("reviews-v1-1", "v1"), ("reviews-v2-0", "v2"), ("productpage-v1-0", "v1")] {
            let service = String(id.split(separator: "-")[0])
            echoes[id] = try EchoServer(configuration: EchoConfiguration(service: service, version: version, instance: id),
                                        address: SocketAddress("127.0.0.1:0")!, group: group)
        }
        // The echo apps stand in for peer sidecars' inbound ports here.
        func endpoint(_ id: String) -> Endpoint { Endpoint(id: id, address: echoes[id]!.address.description) }
        let snapshot = MeshSnapshot(version: 3, topology: "test", services: [
            "reviews": DestinationConfig(
                versions: ["v1": [endpoint("reviews-v1-0"), endpoint("reviews-v1-1")], "v2": [endpoint("reviews-v2-0")]],
                routes: routes ?? [RouteConfig(headers: ["end-user": "jason"], split: ["v2": 100]),
                                   RouteConfig(split: ["v1": 50, "v2": 50])]),
            "ratings": DestinationConfig(versions: ["v1": []]),
        ])
        let control = try FakeControlPlane(group: group, snapshot: snapshot)
        var configuration = SidecarConfiguration.loopback(instance: "productpage-v1-0", service: "productpage", control: control.server.address, app: echoes["productpage-v1-0"]!.address)
        configuration.seed = 42
        let sidecar = try Sidecar(configuration)
        let mesh = Mesh(group: group, control: control, echoes: echoes, sidecar: sidecar)
        #expect(eventually(within: 10) { curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://\(mesh.admin)/ready"]) == "200" })
        return mesh
    }

    @Test func routesByHostHeaderAndSplitsByWeight() throws {
        let mesh = try makeMesh()
        defer { mesh.shutdown() }
        var versions: [String: Int] = [:]
        var instances: Set<String> = []
        for _ in 0..<40 {
            let headers = curl(["-s", "-D", "-", "-o", "/dev/null", "-H", "Host: reviews", "http://\(mesh.outbound)/x"])
            let version = headerValue(headers, "x-meshbed-version")
            versions[version ?? "-", default: 0] += 1
            if let instance = headerValue(headers, "x-meshbed-instance") { instances.insert(instance) }
        }
        #expect(versions["v1", default: 0] + versions["v2", default: 0] == 40)
        #expect(versions["v1", default: 0] >= 10 && versions["v2", default: 0] >= 10, "\(versions)")
        #expect(instances == ["reviews-v1-0", "reviews-v1-1", "reviews-v2-0"])  // round robin within v1
    }

    @Test func headerMatchWinsAndAbsoluteFormWorks() throws {
        let mesh = try makeMesh()
        defer { mesh.shutdown() }
        for _ in 0..<5 {
            let headers = curl(["-s", "-D", "-", "-o", "/dev/null", "-H", "Host: reviews", "-H", "end-user: jason", "http://\(mesh.outbound)/"])
            #expect(headerValue(headers, "x-meshbed-version") == "v2")
        }
        // http_proxy style: absolute-form target through the outbound port.
        let body = curl(["-s", "--proxy", "http://\(mesh.outbound)", "http://reviews/books?id=1"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(json["service"] as? String == "reviews")
        #expect(json["path"] as? String == "/books")
        #expect(json["query"] as? String == "id=1")
        let headers = try #require(json["headers"] as? [String: String])
        #expect(headers["host"] == "reviews")
        #expect(headers["x-meshbed-source"] == "productpage")
        #expect(headers["proxy-connection"] == nil)
    }

    @Test func errorsAreJSONWithTheRightStatus() throws {
        let mesh = try makeMesh()
        defer { mesh.shutdown() }
        #expect(curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: nosuch", "http://\(mesh.outbound)/"]) == "404")
        #expect(curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: ratings", "http://\(mesh.outbound)/"]) == "503")
        let body = curl(["-s", "-H", "Host: ratings", "http://\(mesh.outbound)/"])
        #expect(body.contains("no healthy upstream"))
    }

    @Test func localRepliesKeepTheConnectionOpen() throws {
        let mesh = try makeMesh()
        defer { mesh.shutdown() }
        // Two requests on one keep-alive connection: curl's `num_connects` is 0 when it
        // reused the connection; a server that closed it silently makes curl connect again.
        let format = "%{http_code} %{num_connects}\n"
        for (host, status) in [("nosuch", "404"), ("ratings", "503")] {
            let lines = curl(["-s", "-o", "/dev/null", "-o", "/dev/null", "-w", format, "-H", "Host: \(host)",
                              "http://\(mesh.outbound)/a", "http://\(mesh.outbound)/b"])
            #expect(lines == "\(status) 1\n\(status) 0\n", "Host: \(host)")
        }
        // A short body is read and thrown away after the local reply: the connection stays.
        let posts = curl(["-s", "-o", "/dev/null", "-o", "/dev/null", "-w", format, "-H", "Host: nosuch", "--data", "hello",
                          "http://\(mesh.outbound)/a", "http://\(mesh.outbound)/b"])
        #expect(posts == "404 1\n404 0\n")
        // A chunked body of unknown length is not waited for: the reply says so before closing.
        let chunked = curl(["-s", "-D", "-", "-o", "/dev/null", "-H", "Host: nosuch", "-H", "Transfer-Encoding: chunked",
                            "--data-binary", "@-", "http://\(mesh.outbound)/up"], input: Data(repeating: 0x61, count: 10))
        #expect(headerValue(chunked, "connection") == "close")
    }

    /// Only sidecars mark their own replies (`x-meshbed-proxy`): an app's response through its
    /// inbound sidecar loses a forged marker (an `app-unreachable` would make callers resend
    /// its requests to another instance) and keeps its other fields.
    @Test func appsCannotForgeTheProxyMarker() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let app = try HTTPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in ForgingApp() }
        defer { app.shutdown(timeout: 2_000_000_000) }
        let control = try FakeControlPlane(group: group, snapshot: MeshSnapshot(version: 1, topology: "test", services: [:]))
        defer { control.server.shutdown() }
        let configuration = SidecarConfiguration.loopback(instance: "api-v1-0", service: "api", control: control.server.address, app: app.address)
        let sidecar = try Sidecar(configuration)
        defer { sidecar.shutdown() }
        let head = curl(["-s", "-D", "-", "-o", "/dev/null", "http://\(sidecar.addresses["inbound"]!)/"])
        #expect(head.hasPrefix("HTTP/1.1 503"), "\(head)")
        #expect(headerValue(head, "x-app") == "kept")
        #expect(headerValue(head, "x-meshbed-proxy") == nil)
    }

    /// Each proxied connection needs an upstream one: by default the proxying listeners share
    /// half of the descriptors between them, and the admin port has its own small budget.
    @Test func listenersShareTheDefaultConnectionLimit() throws {
        let mesh = try makeMesh()
        defer { mesh.shutdown() }
        let limits = mesh.sidecar.connectionLimits
        #expect(limits["admin"] == SidecarConfiguration.adminConnectionLimit)
        #expect(limits["outbound"] == limits["inbound"])
        #expect((limits["outbound"] ?? 0) + (limits["inbound"] ?? 0) <= max(32, TCPServer.defaultConnectionLimit))
    }

    @Test func bodiesStreamBothWays() throws {
        let mesh = try makeMesh(routes: [RouteConfig(split: ["v1": 100])])
        defer { mesh.shutdown() }
        let big = curl(["-s", "-o", "/dev/null", "-w", "%{size_download}", "-H", "Host: reviews", "http://\(mesh.outbound)/?size=5000000"])
        #expect(big == "5000000")
        let upload = curl(["-s", "-H", "Host: reviews", "-H", "Transfer-Encoding: chunked", "--data-binary", "@-", "http://\(mesh.outbound)/up"],
                          input: Data(repeating: 0x61, count: 3_000_000))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(upload.utf8)) as? [String: Any])
        #expect(json["bodyBytes"] as? Int == 3_000_000)
    }

    @Test func echoCallsItsDownstreamsThroughTheSidecar() throws {
        let mesh = try makeMesh()
        defer { mesh.shutdown() }
        var configuration = EchoConfiguration(service: "frontend", version: "v1")
        configuration.calls = ["reviews", "ratings"]
        configuration.outbound = mesh.outbound
        let frontend = try EchoServer(configuration: configuration, address: SocketAddress("127.0.0.1:0")!, group: mesh.group)
        defer { frontend.shutdown() }
        let body = curl(["-s", "-H", "end-user: jason", "http://\(frontend.address)/"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
        let calls = try #require(json["calls"] as? [[String: Any]])
        #expect(calls.count == 2)
        #expect(calls[0]["service"] as? String == "reviews")
        #expect(calls[0]["status"] as? Int == 200)
        let reviews = try #require(calls[0]["body"] as? [String: Any])
        #expect(reviews["version"] as? String == "v2")  // end-user: jason was propagated and matched
        #expect((reviews["headers"] as? [String: String])?["x-meshbed-source"] == "productpage")
        #expect(calls[1]["service"] as? String == "ratings")
        #expect(calls[1]["status"] as? Int == 503)  // no healthy upstream, reported by the sidecar
    }

    @Test func heartbeatsAndAcksReachTheControlPlane() throws {
        let mesh = try makeMesh()
        defer { mesh.shutdown() }
        #expect(eventually(within: 5) { mesh.control.acks.value.contains { $0.version == 3 && $0.error == nil } })
        #expect(eventually(within: 5) { mesh.control.heartbeats.value.contains { $0.ready && $0.instance == "productpage-v1-0" } })
        let config = curl(["-s", "http://\(mesh.admin)/config"])
        #expect(config.contains("\"version\":3"))
    }
}

/// Runs curl and returns its stdout.
func curl(_ arguments: [String], input: Data? = nil) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["curl", "--max-time", "10"] + arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    let stdin = Pipe()
    process.standardInput = stdin
    guard (try? process.run()) != nil else { return "" }
    let writer = Thread {
        if let input { stdin.fileHandleForWriting.write(input) }
        try? stdin.fileHandleForWriting.close()
    }
    writer.start()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// A header's value from curl -D output.
func headerValue(_ headers: String, _ name: String) -> String? {
    for line in headers.split(separator: "\r\n") {
        let parts = line.split(separator: ":", maxSplits: 1)
        if parts.count == 2, parts[0].lowercased() == name {
            return parts[1].trimmingCharacters(in: .whitespaces)
        }
    }
    return nil
}

/// An app that answers 503 dressed as a sidecar's "app unreachable" reply.
final class ForgingApp: HTTPRequestHandler {
    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {}

    func requestEnd(on exchange: HTTPServerConnection) {
        exchange.respond(status: 503, headers: { $0.append(contentsOf: Array("x-meshbed-proxy: app-unreachable\r\nx-app: kept\r\n".utf8)) },
                         body: Array("{}".utf8))
    }
}
