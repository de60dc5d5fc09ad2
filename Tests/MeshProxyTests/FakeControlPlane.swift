import Foundation
import MeshConfig
import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshProxy
import MeshTestSupport

/// A control plane that serves one fixed snapshot and records heartbeats and acks:
/// enough to test a sidecar without the real one.
final class FakeControlPlane: Sendable {
    let server: HTTPServer
    let heartbeats = Shared<[Heartbeat]>([])
    let acks = Shared<[Ack]>([])
    let snapshot: Shared<MeshSnapshot>

    init(group: EventLoopGroup, snapshot: MeshSnapshot) throws {
        let snapshotBox = Shared(snapshot)
        self.snapshot = snapshotBox
        let heartbeats = self.heartbeats
        let acks = self.acks
        server = try HTTPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in
            FakeControlHandler(snapshot: snapshotBox, heartbeats: heartbeats, acks: acks)
        }
    }
}

final class FakeControlHandler: HTTPRequestHandler {
    let snapshot: Shared<MeshSnapshot>
    let heartbeats: Shared<[Heartbeat]>
    let acks: Shared<[Ack]>
    var path = ""
    var body: [UInt8] = []

    init(snapshot: Shared<MeshSnapshot>, heartbeats: Shared<[Heartbeat]>, acks: Shared<[Ack]>) {
        self.snapshot = snapshot
        self.heartbeats = heartbeats
        self.acks = acks
    }

    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {
        path = String(decoding: head.target, as: UTF8.self)
        body = []
    }

    func requestBody(_ bytes: UnsafeRawBufferPointer, on exchange: HTTPServerConnection) {
        body.append(contentsOf: bytes)
    }

    func requestEnd(on exchange: HTTPServerConnection) {
        if path.hasPrefix("/v1/heartbeat"), let beat = try? JSONDecoder().decode(Heartbeat.self, from: Data(body)) {
            heartbeats.update { $0.append(beat) }
        } else if path.hasPrefix("/v1/ack"), let ack = try? JSONDecoder().decode(Ack.self, from: Data(body)) {
            acks.update { $0.append(ack) }
        } else if path.hasPrefix("/v1/snapshot") {
            let current = snapshot.value
            let after = Int(path.split(separator: "after=").last ?? "") ?? 0
            if current.version > after {
                let json = [UInt8](try! JSONEncoder().encode(current))
                exchange.respond(status: 200, body: json)
            } else {
                // No long poll here: the sidecar polls again at once, so answer after a pause.
                exchange.loop.schedule(after: 50_000_000) { [weak exchange] in
                    exchange?.respond(status: 204, body: [])
                }
            }
            return
        }
        exchange.respond(status: 200, body: Array("{}".utf8))
    }
}

extension SidecarConfiguration {
    /// A test sidecar for `instance` of `service` (version v1): every listener on a free
    /// loopback port, following `control`, in front of `app`.
    static func loopback(instance: String, service: String, control: SocketAddress, app: SocketAddress) -> SidecarConfiguration {
        var configuration = SidecarConfiguration(instance: instance, service: service, version: "v1",
                                                 control: control, adminAddress: SocketAddress("127.0.0.1:0")!)
        configuration.outboundAddress = SocketAddress("127.0.0.1:0")
        configuration.inboundAddress = SocketAddress("127.0.0.1:0")
        configuration.app = app
        configuration.accessLogDescriptor = nil  // quiet: the test process's own output
        return configuration
    }
}
