import FoundationEssentials
import MeshConfig
import MeshTopology

/// Toxiproxy's HTTP API (v2) over meshbed's faults (SPEC §6), so Toxiproxy's clients drive
/// the mesh's L4 faults unchanged. Each service is a proxy: its `listen` is where its
/// instances' sidecars take their callers' connections (the links toxics act on), its
/// `upstream` the service itself (its apps, behind those sidecars). A toxic on a proxy is a
/// link fault to that service from every caller (`ToxiproxyToxic`), kept in the same
/// `FaultBook` as every other fault, so `meshbed fault list` and `/v1/faults` show it and
/// clear it too. A disabled proxy is a partition cutting every caller off the service. What
/// Toxiproxy can do and meshbed cannot (create, move or delete a proxy) is refused.
struct ToxiproxyAPI {
    /// The version `/version` reports: the Toxiproxy API whose shapes this follows.
    static let version = "2.6.0+meshbed"

    /// The services, in topology order: the proxies.
    let services: [String]
    /// Each service's registered inbound addresses, in instance order.
    let inbound: [String: [String]]

    init(topology: Topology, instances: [InstanceStatus]) {
        services = topology.services.map(\.key)
        var inbound: [String: [String]] = [:]
        for instance in instances where !instance.inbound.isEmpty && instance.lastSeenMillis >= 0 {
            inbound[instance.service, default: []].append(instance.inbound)
        }
        self.inbound = inbound
    }

    /// A proxy in Toxiproxy's JSON shape.
    struct Proxy: Codable, Equatable {
        var name: String
        var listen: String
        var upstream: String
        var enabled: Bool
        var toxics: [ToxiproxyToxic]
    }

    /// What one request does: the answer, and whether the fault book changed (to publish).
    struct Outcome {
        var response: ControlResponse
        var changed = false
    }

    /// Answers `route`, changing `book` for the requests that add, change or remove toxics
    /// or (dis)able proxies; `now` stamps new faults.
    func answer(_ route: ToxiproxyRoute, body: [UInt8], book: inout FaultBook, now: UInt64) -> Outcome {
        do throws(ToxiproxyError) {
            return try respond(route, body: body, book: &book, now: now)
        } catch {
            return Outcome(response: error.response)
        }
    }

    private func respond(_ route: ToxiproxyRoute, body: [UInt8], book: inout FaultBook, now: UInt64) throws(ToxiproxyError) -> Outcome {
        switch route {
        case .version:
            return Outcome(response: .json(["version": Self.version]))
        case .reset:
            let removed = book.remove { ToxiproxyToxic($0.spec, name: "") != nil || Self.isDisabling($0.spec) != nil }
            return Outcome(response: .noContent, changed: removed > 0)
        case .proxies:
            let all = Dictionary(uniqueKeysWithValues: services.map { ($0, proxy($0, book: book)) })
            return Outcome(response: .json(all))
        case .createProxy:
            let request = try Self.decode(ProxyRequest.self, body, what: "proxy")
            guard let name = request.name, !name.isEmpty else { throw .badRequest("missing required field: name") }
            if services.contains(name) { throw .conflict("proxy already exists: '\(name)' is a service of this topology") }
            throw .badRequest("meshbed's proxies are its services (\(services.joined(separator: ", "))) and come from the topology file: '\(name)' cannot be created")
        case .populate:
            let requests = try Self.decode([ProxyRequest].self, body, what: "proxy list")
            for request in requests { _ = try check(request, name: request.name) }
            var changed = false
            for request in requests {
                guard let name = request.name else { continue }
                changed = setEnabled(request.enabled ?? true, proxy: name, book: &book, now: now) || changed
            }
            let proxies = requests.compactMap(\.name).map { proxy($0, book: book) }
            return Outcome(response: .json(["proxies": proxies], status: 201), changed: changed)
        case .proxy(let name):
            try known(name)
            return Outcome(response: .json(proxy(name, book: book)))
        case .updateProxy(let name):
            try known(name)
            let request = try Self.decode(ProxyRequest.self, body, what: "proxy")
            _ = try check(request, name: request.name ?? name)
            guard request.name == nil || request.name == name else {
                throw .badRequest("name: a proxy cannot be renamed ('\(name)' is a service)")
            }
            let changed = request.enabled.map { setEnabled($0, proxy: name, book: &book, now: now) } ?? false
            return Outcome(response: .json(proxy(name, book: book)), changed: changed)
        case .deleteProxy(let name):
            try known(name)
            var response = ToxiproxyError(
                error: "proxy '\(name)' is a service and cannot be deleted: POST {\"enabled\": false} to /proxies/\(name) cuts every caller off it",
                status: 405).response
            response.allow = "GET, HEAD, POST, PATCH"
            return Outcome(response: response)
        case .toxics(let proxy):
            try known(proxy)
            return Outcome(response: .json(toxics(of: proxy, book: book).map(\.toxic)))
        case .addToxic(let proxy):
            try known(proxy)
            let request = try Self.decode(ToxicRequest.self, body, what: "toxic")
            guard let type = request.type, !type.isEmpty else { throw .badRequest("missing required field: type") }
            let stream = request.stream ?? "downstream"
            let name = request.name.flatMap { $0.isEmpty ? nil : $0 } ?? "\(type)_\(stream)"
            guard !name.contains("/") else { throw .badRequest("name: a toxic's name cannot contain '/' (got '\(name)')") }
            let toxic = ToxiproxyToxic(name: name, type: type, stream: stream, toxicity: request.toxicity ?? 1, attributes: request.attributes ?? [:])
            let spec = try toxic.spec(proxy: proxy)
            if toxics(of: proxy, book: book).contains(where: { $0.toxic.name == name }) {
                throw .conflict("toxic already exists: '\(name)' on proxy '\(proxy)'")
            }
            book.add(spec, name: name, now: now)
            return Outcome(response: .json(ToxiproxyToxic(spec, name: name) ?? toxic), changed: true)
        case .toxic(let proxy, let name):
            return Outcome(response: .json(try find(name, on: proxy, book: book).toxic))
        case .updateToxic(let proxy, let name):
            let (id, old) = try find(name, on: proxy, book: book)
            let request = try Self.decode(ToxicRequest.self, body, what: "toxic")
            for (field, given, current) in [("name", request.name, old.name), ("type", request.type, old.type), ("stream", request.stream, old.stream)] {
                if let given, given != current {
                    throw .badRequest("\(field): a toxic's \(field) cannot change ('\(current)'); remove it and add another")
                }
            }
            var updated = old
            updated.toxicity = request.toxicity ?? old.toxicity
            updated.attributes.merge(request.attributes ?? [:]) { $1 }
            let spec = try updated.spec(proxy: proxy)
            book.replace(id: id, with: spec)
            return Outcome(response: .json(ToxiproxyToxic(spec, name: name) ?? updated), changed: true)
        case .removeToxic(let proxy, let name):
            let (id, _) = try find(name, on: proxy, book: book)
            _ = book.remove(id: id)
            return Outcome(response: .noContent, changed: true)
        }
    }

    // MARK: proxies

    private func known(_ name: String) throws(ToxiproxyError) {
        guard services.contains(name) else {
            throw .notFound("proxy not found: '\(name)' (the proxies are the services: \(services.joined(separator: ", ")))")
        }
    }

    private func proxy(_ name: String, book: FaultBook) -> Proxy {
        let disabled = book.entries.contains { Self.isDisabling($0.spec) == name }
        return Proxy(name: name, listen: listen(name), upstream: name, enabled: !disabled, toxics: toxics(of: name, book: book).map(\.toxic))
    }

    private func listen(_ service: String) -> String {
        (inbound[service] ?? []).joined(separator: ",")
    }

    /// Checks a proxy in a create, populate or update body against the service it names:
    /// `listen` and `upstream` are facts of the running mesh, so a different one is refused.
    private func check(_ request: ProxyRequest, name: String?) throws(ToxiproxyError) -> String {
        guard let name, !name.isEmpty else { throw .badRequest("missing required field: name") }
        guard services.contains(name) else {
            throw .badRequest("meshbed's proxies are its services (\(services.joined(separator: ", "))) and come from the topology file: '\(name)' cannot be created")
        }
        if let listen = request.listen, listen != self.listen(name) {
            throw .badRequest("listen: proxy '\(name)' listens where its sidecars do (\(self.listen(name))); it cannot move to '\(listen)'")
        }
        if let upstream = request.upstream, upstream != name {
            throw .badRequest("upstream: proxy '\(name)' forwards to its service ('\(name)'); it cannot forward to '\(upstream)'")
        }
        return name
    }

    /// Disables (a partition of every caller from the service) or enables (that partition
    /// cleared) a proxy; returns whether the book changed.
    private func setEnabled(_ enabled: Bool, proxy: String, book: inout FaultBook, now: UInt64) -> Bool {
        if enabled { return book.remove { Self.isDisabling($0.spec) == proxy } > 0 }
        guard !book.entries.contains(where: { Self.isDisabling($0.spec) == proxy }) else { return false }
        // Toxiproxy closes a disabled proxy's connections and listens no more: the open
        // connections close at once, new ones are refused.
        book.add(FaultSpec(action: .partition(timeout: .zero), target: .link(from: nil, to: proxy)), now: now)
        return true
    }

    /// The service a fault cuts every caller off from (a disabled proxy), if it is one.
    private static func isDisabling(_ spec: FaultSpec) -> String? {
        guard spec.kind == .partition, case .link(nil, let to) = spec.target else { return nil }
        return to
    }

    // MARK: toxics

    /// The faults that are toxics of `proxy`, in the order they were added, with their ids.
    private func toxics(of proxy: String, book: FaultBook) -> [(id: String, toxic: ToxiproxyToxic)] {
        book.entries.compactMap { entry in
            guard case .link(_, proxy) = entry.spec.target,
                  let toxic = ToxiproxyToxic(entry.spec, name: entry.config.name ?? entry.config.id) else { return nil }
            return (entry.config.id, toxic)
        }
    }

    private func find(_ name: String, on proxy: String, book: FaultBook) throws(ToxiproxyError) -> (id: String, toxic: ToxiproxyToxic) {
        try known(proxy)
        guard let found = toxics(of: proxy, book: book).first(where: { $0.toxic.name == name }) else {
            throw .notFound("toxic not found: '\(name)' on proxy '\(proxy)'")
        }
        return found
    }

    // MARK: bodies

    /// A proxy in a request body (every field optional: an update names what changes).
    private struct ProxyRequest: Decodable {
        var name: String?
        var listen: String?
        var upstream: String?
        var enabled: Bool?
    }

    /// A toxic in a request body.
    private struct ToxicRequest: Decodable {
        var name: String?
        var type: String?
        var stream: String?
        var toxicity: Double?
        var attributes: [String: Double]?
    }

    private static let proxyFields: Set<String> = ["name", "listen", "upstream", "enabled"]
    private static let toxicFields: Set<String> = ["name", "type", "stream", "toxicity", "attributes"]

    /// Decodes a body, refusing fields the type does not have (a field meshbed would not act
    /// on is refused, never ignored).
    private static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], what: String) throws(ToxiproxyError) -> T {
        let value: T
        do throws(ControlError) {
            value = try ControlJSON.decode(type, from: body, what: what)
        } catch {
            throw .badRequest("bad request body: \(error.message)")
        }
        let allowed = type == ToxicRequest.self ? toxicFields : proxyFields
        let objects: [[String: Anything]]
        if let list = try? JSONDecoder().decode([[String: Anything]].self, from: Data(body)) {
            objects = list
        } else {
            objects = (try? JSONDecoder().decode([String: Anything].self, from: Data(body))).map { [$0] } ?? []
        }
        for object in objects {
            if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw .badRequest("bad request body: unknown field '\(unknown)' in a \(what == "proxy list" ? "proxy" : what) (known: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        return value
    }

    /// Any JSON value, not read: for listing an object's keys.
    private struct Anything: Decodable {
        init(from decoder: any Decoder) throws {}
    }
}
