import Foundation
import MeshCore
import MeshHTTP
import MeshHTTPIO

/// The sidecar's admin port: `/ready` (200 once it has a snapshot and its app answers),
/// `/config` (the snapshot version and content it routes with), `/stats` (what its
/// pipeline counted: requests, retries, timeouts…, summed over its loops).
final class AdminHandler: HTTPRequestHandler {
    private let store: SnapshotStore
    private let health: AppHealth
    private let instance: String
    private let counters: [ProxyCounters]

    init(store: SnapshotStore, health: AppHealth, instance: String, counters: [ProxyCounters]) {
        self.store = store
        self.health = health
        self.instance = instance
        self.counters = counters
    }

    private var path = ""

    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {
        path = String(decoding: head.path, as: UTF8.self)
    }

    func requestEnd(on exchange: HTTPServerConnection) {
        answer(on: exchange)
    }

    func answer(on exchange: HTTPServerConnection) {
        switch path {
        case "/ready":
            let ready = store.version > 0 && health.isReady
            var body: [UInt8] = []
            JSONWriter.object(into: &body) { json in
                json.field("ready", bool: ready)
                json.field("configVersion", integer: store.version)
                json.field("appReady", bool: health.isReady)
            }
            body.append(10)
            respondJSON(ready ? 200 : 503, body, on: exchange)
        case "/config":
            var body: [UInt8] = []
            let snapshot = store.snapshot.flatMap { try? JSONEncoder().encode($0) }.map { [UInt8]($0) } ?? Array("null".utf8)
            JSONWriter.object(into: &body) { json in
                json.field("instance", string: instance)
                json.field("version", integer: store.version)
                json.field("snapshot", raw: snapshot)
            }
            body.append(10)
            respondJSON(200, body, on: exchange)
        case "/stats":
            respondJSON(200, ProxyCounters.json(counters), on: exchange)
        default:
            var body: [UInt8] = []
            JSONWriter.object(into: &body) { $0.field("error", string: "no admin endpoint '\(path)'; try /ready, /config or /stats") }
            body.append(10)
            respondJSON(404, body, on: exchange)
        }
    }

    private func respondJSON(_ status: Int, _ body: [UInt8], on exchange: HTTPServerConnection) {
        exchange.respond(status: status, headers: { $0.append(contentsOf: ProxyHeaders.jsonContentType) }, body: body)
    }
}
