import Foundation
import MeshConfig
import MeshControl
import MeshCore
import MeshEcho
import MeshHTTP
import MeshIO
@testable import MeshProxy
import MeshTestSupport
import MeshTopology
import Testing

/// An upstream that accepts connections and never answers (a stopped process, as the
/// kernel still completes handshakes for it): counts connections and closes.
final class SilentUpstream: ByteStreamHandler {
    let opened: Shared<Int>
    let closed: Shared<Int>
    init(opened: Shared<Int>, closed: Shared<Int>) {
        self.opened = opened
        self.closed = closed
    }
    func connectionActive(_ connection: any ByteStream) { opened.update { $0 += 1 } }
    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int { bytes.count }
    func connectionReadEOF(_ connection: any ByteStream) { connection.close() }
    func connectionClosed(_ connection: any ByteStream, error: IOError?) { closed.update { $0 += 1 } }
}

/// A dead instance stops getting traffic: the control plane's removal reaches every sidecar
/// at once, a sidecar fails over from an endpoint it cannot reach, and an upstream that
/// never answers is given up after the upstream timeout.
@Suite(.serialized) struct DeadEndpointTests {
    /// A sidecar for `instance` of `service` in front of a new echo app.
    static func sidecar(_ instance: String, service: String, control: ControlPlane, group: EventLoopGroup) throws -> (Sidecar, EchoServer) {
        let app = try EchoServer(configuration: EchoConfiguration(service: service, version: "v1", instance: instance),
                                 address: SocketAddress("127.0.0.1:0")!, group: group)
        let configuration = SidecarConfiguration.loopback(instance: instance, service: service, control: control.address, app: app.address)
        return (try Sidecar(configuration), app)
    }

    @Test func markedDownLeavesEverySidecarAtOnce() throws {
        let topology = Topology(name: "down", mesh: MeshSettings(mtls: .disabled), services: [
            "web": Service(name: "web", calls: ["reviews"], replicas: 2),
            "reviews": Service(name: "reviews", replicas: 3),
        ])
        let control = try ControlPlane(topology: topology, address: SocketAddress("127.0.0.1:0")!)
        defer { control.shutdown(timeout: 2_000_000_000) }
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        var sidecars: [String: (Sidecar, EchoServer)] = [:]
        defer {
            for (sidecar, app) in sidecars.values {
                sidecar.shutdown()
                app.shutdown()
            }
        }
        for instance in topology.instances {
            sidecars[instance.id] = try Self.sidecar(instance.id, service: instance.service, control: control, group: group)
        }
        let callers = ["web-v1-0", "web-v1-1"].map { sidecars[$0]!.0 }
        let all = ["reviews-v1-0", "reviews-v1-1", "reviews-v1-2"]
        #expect(eventually(within: 20) { callers.allSatisfy { $0.routingTable.endpointIDs(of: "reviews") == all } },
                "the callers never routed to every reviews instance")

        // Each removal: from the call to the control plane until no caller holds the endpoint.
        var milliseconds: [Double] = []
        for (index, id) in all.dropLast().enumerated() {
            let started = Posix.monotonicNanoseconds()
            try control.markDown(instance: id)
            let gone = eventually(within: 10) { callers.allSatisfy { !$0.routingTable.endpointIDs(of: "reviews").contains(id) } }
            #expect(gone, "\(id) still routed")
            milliseconds.append(Double(Posix.monotonicNanoseconds() - started) / 1e6)
            #expect(callers.allSatisfy { $0.routingTable.endpointIDs(of: "reviews") == Array(all.dropFirst(index + 1)) })
        }
        let text = milliseconds.map { String(format: "%.1f", $0) }.joined(separator: ", ")
        print("DeadEndpointTests: removal reached both caller sidecars in \(text) ms")
    }

    @Test func unreachableEndpointIsSkippedAndRequestsFailOver() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let refusing = try reserveRefusingPort()
        defer { Posix.close(refusing.fd) }
        let live = try EchoServer(configuration: EchoConfiguration(service: "reviews", version: "v1", instance: "reviews-v1-1"),
                                  address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { live.shutdown() }
        let app = try EchoServer(configuration: EchoConfiguration(service: "web"), address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { app.shutdown() }
        // The dead one first: round robin would pick it for the very first request.
        let snapshot = MeshSnapshot(version: 1, topology: "t", services: [
            "reviews": DestinationConfig(versions: ["v1": [Endpoint(id: "reviews-v1-0", address: refusing.address.description),
                                                           Endpoint(id: "reviews-v1-1", address: live.address.description)]]),
        ])
        let control = try FakeControlPlane(group: group, snapshot: snapshot)
        defer { control.server.shutdown() }
        let configuration = SidecarConfiguration.loopback(instance: "web-v1-0", service: "web", control: control.server.address, app: app.address)
        let sidecar = try Sidecar(configuration)
        defer { sidecar.shutdown() }
        let outbound = sidecar.addresses["outbound"]!
        #expect(eventually(within: 10) { sidecar.routingTable.version == 1 })

        // Every request is answered by the live instance: the first one, sent to the refusing
        // endpoint, fails over; later ones skip it. On one keep-alive connection and on new ones.
        let urls = (0..<10).map { "http://\(outbound)/r\($0)" }
        let codes = curl(["-s", "-w", "%{http_code}\\n", "-H", "Host: reviews"] + urls.flatMap { ["-o", "/dev/null", $0] })
        #expect(codes == String(repeating: "200\n", count: 10))
        for _ in 0..<3 {
            let headers = curl(["-s", "-D", "-", "-o", "/dev/null", "-H", "Host: reviews", "http://\(outbound)/"])
            #expect(headerValue(headers, "x-meshbed-instance") == "reviews-v1-1")
        }
    }

    @Test func instanceWhoseAppIsGoneIsSkippedAndBodilessRequestsFailOver() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let refusing = try reserveRefusingPort()
        defer { Posix.close(refusing.fd) }
        let live = try EchoServer(configuration: EchoConfiguration(service: "reviews", version: "v1", instance: "reviews-v1-1"),
                                  address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { live.shutdown() }
        let app = try EchoServer(configuration: EchoConfiguration(service: "web"), address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { app.shutdown() }
        let empty = try FakeControlPlane(group: group, snapshot: MeshSnapshot(version: 1, topology: "t", services: [:]))
        defer { empty.server.shutdown() }
        // reviews-v1-0: a live sidecar whose app died (its port refuses connections).
        let orphanConfiguration = SidecarConfiguration.loopback(instance: "reviews-v1-0", service: "reviews", control: empty.server.address, app: refusing.address)
        let orphan = try Sidecar(orphanConfiguration)
        defer { orphan.shutdown() }
        let snapshot = MeshSnapshot(version: 1, topology: "t", services: [
            "reviews": DestinationConfig(versions: ["v1": [Endpoint(id: "reviews-v1-0", address: orphan.addresses["inbound"]!.description),
                                                           Endpoint(id: "reviews-v1-1", address: live.address.description)]]),
        ])
        let control = try FakeControlPlane(group: group, snapshot: snapshot)
        defer { control.server.shutdown() }
        let configuration = SidecarConfiguration.loopback(instance: "web-v1-0", service: "web", control: control.server.address, app: app.address)
        let sidecar = try Sidecar(configuration)
        defer { sidecar.shutdown() }
        let outbound = sidecar.addresses["outbound"]!
        #expect(eventually(within: 10) { sidecar.routingTable.version == 1 })

        // The orphan's sidecar says its app refused: the first GET goes on to the live
        // instance, later ones skip the orphan.
        let urls = (0..<6).map { "http://\(outbound)/r\($0)" }
        let codes = curl(["-s", "-w", "%{http_code}\\n", "-H", "Host: reviews"] + urls.flatMap { ["-o", "/dev/null", $0] })
        #expect(codes == String(repeating: "200\n", count: 6))

        // What the caller's sidecar went by: the orphan's sidecar marks its 503 as one whose
        // request never reached the app.
        let direct = curl(["-s", "-D", "-", "-o", "/dev/null", "-H", "Host: reviews", "--data", "x",
                           "http://\(orphan.addresses["inbound"]!)/"])
        #expect(direct.hasPrefix("HTTP/1.1 503"))
        #expect(headerValue(direct, "x-meshbed-proxy") == "app-unreachable")
    }

    @Test func failedMarksSkipUntilTheNextSnapshotOrTheirExpiry() throws {
        let timers = ManualTimerScheduler(now: 1_000)
        let store = SnapshotStore()
        let state = ProxyLoopState(timers: timers, connector: FakeUpstreams(timers: timers), store: store, seed: 1, ejectionTime: 5_000_000_000)
        func snapshot(_ version: Int) -> MeshSnapshot {
            MeshSnapshot(version: version, topology: "t", services: [
                "r": DestinationConfig(versions: ["v1": (1...3).map { Endpoint(id: "r-\($0)", address: "127.0.0.1:\(20000 + $0)") }]),
            ])
        }
        func picks(_ count: Int, avoiding: [SocketAddress] = []) -> [String] {
            (0..<count).map { _ in state.pick(service: "r", version: nil, avoiding: avoiding)?.endpoint.id ?? "none" }
        }
        try store.apply(snapshot(1))
        #expect(picks(3) == ["r-1", "r-2", "r-3"])
        state.markFailed(SocketAddress("127.0.0.1:20002")!)
        #expect(picks(4) == ["r-1", "r-3", "r-1", "r-3"])
        // A retry avoids the endpoint its request went to first.
        #expect(picks(1, avoiding: [SocketAddress("127.0.0.1:20001")!]) == ["r-3"])

        // The mark ends after the ejection time...
        timers.advance(by: 4_999_999_999)
        #expect(!picks(4).contains("r-2"))
        timers.advance(by: 1)
        #expect(picks(3).sorted() == ["r-1", "r-2", "r-3"])

        // ...or when a new snapshot arrives, whichever comes first.
        state.markFailed(SocketAddress("127.0.0.1:20002")!)
        #expect(!picks(4).contains("r-2"))
        try store.apply(snapshot(2))
        #expect(picks(3).sorted() == ["r-1", "r-2", "r-3"])

        // When every endpoint is marked, they are all tried rather than none; with every
        // endpoint tried already, one is tried again rather than none.
        for port in 20001...20003 { state.markFailed(SocketAddress("127.0.0.1:\(port)")!) }
        #expect(picks(3).sorted() == ["r-1", "r-2", "r-3"])
        let all = (20001...20003).map { SocketAddress("127.0.0.1:\($0)")! }
        #expect(picks(1, avoiding: all) != ["none"])
    }

    @Test func silentUpstreamGets504AfterTheTimeoutAndItsConnectionIsNotReused() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let opened = Shared(0), closed = Shared(0)
        let upstream = try TCPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in
            SilentUpstream(opened: opened, closed: closed)
        }
        defer { upstream.close() }
        let app = try EchoServer(configuration: EchoConfiguration(service: "web"), address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { app.shutdown() }
        let snapshot = MeshSnapshot(version: 1, topology: "t", services: [
            "silent": DestinationConfig(versions: ["v1": [Endpoint(id: "silent-v1-0", address: upstream.address.description)]]),
        ])
        let control = try FakeControlPlane(group: group, snapshot: snapshot)
        defer { control.server.shutdown() }
        var configuration = SidecarConfiguration.loopback(instance: "web-v1-0", service: "web", control: control.server.address, app: app.address)
        configuration.upstreamTimeout = 200_000_000
        configuration.bodyTimeout = 300_000_000
        let sidecar = try Sidecar(configuration)
        defer { sidecar.shutdown() }
        let outbound = sidecar.addresses["outbound"]!
        #expect(eventually(within: 10) { sidecar.routingTable.version == 1 })

        // Two requests on one keep-alive connection: each gets its 504 (the connection to the
        // caller stays open), and each went upstream on a connection of its own.
        let output = curl(["-s", "-w", "%{http_code} %{num_connects}\\n", "-H", "Host: silent",
                           "http://\(outbound)/a", "http://\(outbound)/b"])
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "unexpected curl output shape")
        #expect(lines.filter { $0.contains("\"error\":\"upstream request timeout: no response within 200ms\",\"responseFlags\":\"UT\"") }.count == 2)
        #expect(lines.last == "504 0")
        #expect(opened.value == 2)
        #expect(eventually(within: 5) { closed.value == 2 }, "a timed-out upstream connection was kept")

        // A request whose body stalls half way: the body timeout bounds a pause in the body
        // (408, as Envoy's request timeout), and the upstream connection goes too.
        let stalled = Array("POST /c HTTP/1.1\r\nHost: silent\r\nContent-Length: 10\r\n\r\n12345".utf8)
        let reply = try rawExchange(outbound, stalled, responses: 1, within: 20)
        #expect(reply.statuses == [408])
        #expect(eventually(within: 5) { closed.value == 3 }, "the stalled upstream connection was kept")
    }
}

extension HTTPRequestHead {
    /// `GET / HTTP/1.1` with no fields, for routing tests.
    static var probe: HTTPRequestHead {
        var parser = HTTPRequestParser(limits: HTTPParserLimits())
        let bytes = Array("GET / HTTP/1.1\r\nhost: r\r\n\r\n".utf8)
        let (_, event) = bytes.withUnsafeBytes { parser.next($0) }
        guard case .head(let head)? = event else { fatalError("the probe request did not parse") }
        return head
    }
}
