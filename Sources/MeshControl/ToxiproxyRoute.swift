import MeshHTTP

/// The endpoints of Toxiproxy's HTTP API (v2) that the control plane answers beside its own
/// `/v1` API, resolved from a method and path. `POST` and `PATCH` both update, as in
/// Toxiproxy 2.6.
///
///     GET    /version                          → {"version": "..."}
///     POST   /reset                            every proxy enabled, every toxic removed → 204
///     GET    /proxies                          → {name: proxy}
///     POST   /proxies                          create → 409 for a service, else 400
///     POST   /populate                         [proxy] → 201 {"proxies": [proxy]}
///     GET    /proxies/P                        → proxy (with its toxics)
///     POST   /proxies/P                        {"enabled": bool} → proxy
///     DELETE /proxies/P                        → 405 (a service cannot be deleted)
///     GET    /proxies/P/toxics                 → [toxic]
///     POST   /proxies/P/toxics                 toxic → toxic
///     GET    /proxies/P/toxics/T               → toxic
///     POST   /proxies/P/toxics/T               {"attributes", "toxicity"} → toxic
///     DELETE /proxies/P/toxics/T               → 204
enum ToxiproxyRoute: Equatable {
    case version
    case reset
    case proxies
    case createProxy
    case populate
    case proxy(String)
    case updateProxy(String)
    case deleteProxy(String)
    case toxics(proxy: String)
    case addToxic(proxy: String)
    case toxic(proxy: String, name: String)
    case updateToxic(proxy: String, name: String)
    case removeToxic(proxy: String, name: String)

    /// The methods `path` answers, each with its endpoint; empty when it is not one of
    /// Toxiproxy's paths.
    static func endpoints(at path: String) -> [(HTTPMethod, ToxiproxyRoute)] {
        switch path {
        case "/version": return [(.get, .version)]
        case "/reset": return [(.post, .reset)]
        case "/populate": return [(.post, .populate)]
        case "/proxies": return [(.get, .proxies), (.post, .createProxy)]
        default: break
        }
        let prefix = "/proxies/"
        guard path.hasPrefix(prefix) else { return [] }
        let segments = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false).map { QueryParameters.decode($0) }
        guard !segments.contains(where: \.isEmpty) else { return [] }
        switch segments.count {
        case 1:
            let proxy = segments[0]
            return [(.get, .proxy(proxy)), (.post, .updateProxy(proxy)), (.patch, .updateProxy(proxy)), (.delete, .deleteProxy(proxy))]
        case 2 where segments[1] == "toxics":
            return [(.get, .toxics(proxy: segments[0])), (.post, .addToxic(proxy: segments[0]))]
        case 3 where segments[1] == "toxics":
            let (proxy, name) = (segments[0], segments[2])
            return [(.get, .toxic(proxy: proxy, name: name)), (.post, .updateToxic(proxy: proxy, name: name)),
                    (.patch, .updateToxic(proxy: proxy, name: name)), (.delete, .removeToxic(proxy: proxy, name: name))]
        default:
            return []
        }
    }
}
