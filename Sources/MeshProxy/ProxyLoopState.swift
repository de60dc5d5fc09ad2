import MeshConfig
import MeshCore
import MeshHTTP
import MeshHTTPIO
import MeshIO

/// What the sidecar keeps per event loop, touched only on that loop's thread: its
/// connection pool, its random stream for splits, round-robin positions, and its own
/// copy of the routing table (refreshed when the shared version moves).
final class ProxyLoopState: @unchecked Sendable {
    let loop: EventLoop
    let pool: HTTPConnectionPool
    private let store: SnapshotStore
    private var table = RoutingTable.empty
    private var random: SeededRandom
    private var cursors: [String: Int] = [:]

    init(loop: EventLoop, store: SnapshotStore, seed: UInt64) {
        self.loop = loop
        self.store = store
        self.pool = HTTPConnectionPool(loop: loop)
        self.random = SeededRandom(seed: seed)
    }

    /// The current routing table (one atomic load when nothing changed).
    var routingTable: RoutingTable {
        if store.version != table.version { table = store.table }
        return table
    }

    /// Picks the endpoint for a request to `service`: first matching route, weighted
    /// version, then round robin among that version's healthy endpoints.
    func route(service: String, head: HTTPRequestHead) throws(RoutingFailure) -> RoutingDecision {
        guard let destination = routingTable.destinations[service] else { throw .unknownService }
        if destination.routes.isEmpty {
            return RoutingDecision(endpoint: try next(destination.all, key: service, version: nil), route: nil)
        }
        for (index, route) in destination.routes.enumerated() where matches(route, head) {
            guard let last = route.buckets.last else { throw .noHealthyUpstream(version: nil) }
            let draw = Int(random.next() % UInt64(last.upTo))
            let version = route.buckets.first { draw < $0.upTo }!.version
            let endpoints = destination.versions[version] ?? []
            return RoutingDecision(endpoint: try next(endpoints, key: service + "/" + version, version: version), route: index)
        }
        throw .noRouteMatched
    }

    private func next(_ endpoints: [RoutingTable.CompiledEndpoint], key: String, version: String?) throws(RoutingFailure) -> RoutingTable.CompiledEndpoint {
        guard !endpoints.isEmpty else { throw .noHealthyUpstream(version: version) }
        let position = cursors[key, default: 0]
        cursors[key] = position &+ 1
        return endpoints[position % endpoints.count]
    }

    private func matches(_ route: RoutingTable.CompiledRoute, _ head: HTTPRequestHead) -> Bool {
        if let prefix = route.pathPrefix, !head.path.starts(with: prefix) { return false }
        for header in route.headers {
            guard let index = head.headers.firstIndex(ofLowercased: header.name),
                  head.headers.value(at: index).elementsEqual(header.value) else { return false }
        }
        return true
    }
}

extension HTTPHeaders {
    /// The index of the first field named `name` (given lower-case), compared case-insensitively.
    func firstIndex(ofLowercased name: [UInt8]) -> Int? {
        for index in 0..<count {
            let field = self.name(at: index)
            guard field.count == name.count else { continue }
            if zip(field, name).allSatisfy({ ($0 | 0x20) == $1 || $0 == $1 }) { return index }
        }
        return nil
    }
}
