import MeshHTTP

/// The control plane's endpoints, resolved from a request's method and path.
///
///     POST /v1/heartbeat          Heartbeat → 204 (the first one registers the instance)
///     GET  /v1/snapshot           ?instance=ID&after=N: long poll → 200 MeshSnapshot or 204
///     GET  /v1/snapshot/current   → 200 MeshSnapshot
///     POST /v1/ack                Ack → 204
///     GET  /v1/instances          → 200 [InstanceStatus]
///     PUT  /v1/routes/SERVICE     [RouteConfig] → 200 {"version": N} (live route change)
///     POST /v1/instances/ID/down  → 200 {"version": N} (its app or sidecar ended: unroutable now)
///     GET  /v1/health             → 200 {"status": "ok", "version": N}
///     GET  /metrics               → 200 Prometheus text format 0.0.4 (ControlMetrics)
///     GET  /v1/metrics            → 200 every sidecar's counters and histograms added up (MetricsGathering)
///     POST /v1/certificates       CertificateRequest → 200 CertificateGrant (mTLS topologies)
///     PUT  /v1/mtls               {"mode": "strict"|"permissive"} → 200 {"version": N}
///     GET  /v1/telemetry          → 200 {"accessLog": B, "tracing": {"sampling": P, "maxTracesPerSecond": N}}
///     PUT  /v1/telemetry          what changes of that, as `mesh:` writes it → 200 {"version": N, "telemetry": {…}}
///     GET  /v1/faults             → 200 {"faults": [FaultConfig]}
///     POST /v1/faults             a fault as the topology writes it, in JSON → 201 {"fault", "version"}
///     DELETE /v1/faults           → 200 {"cleared": N, "version": N} (every fault)
///     DELETE /v1/faults/ID        → 200 {"cleared": 1, "version": N}, or 404
///     POST /v1/spans             {"spans": [Span]} → 202 {"accepted": N, "dropped": N} (from the sidecars)
///     GET  /v1/traces            ?limit=N → 200 {"traces": [TraceSummary]}, newest first
///     GET  /v1/traces/ID         → 200 {"spans": [Span]} by start time; 404 unknown, 400 malformed ID
///     /version, /reset, /populate, /proxies…  Toxiproxy's API (`ToxiproxyRoute`)
///
/// `HEAD` is accepted wherever `GET` is.
enum ControlRoute: Equatable {
    case heartbeat
    case snapshot
    case currentSnapshot
    case ack
    case instances
    case routes(destination: String)
    case down(instance: String)
    case health
    case metrics
    case aggregateMetrics
    case certificates
    case mtls
    case telemetry
    case setTelemetry
    case faults
    case addFault
    case clearFaults
    case clearFault(id: String)
    case spans
    case traces
    case trace(id: String)
    case toxiproxy(ToxiproxyRoute)

    /// What a method and path come to: an endpoint, no such path, or a path that exists
    /// with other methods (listed for the `allow` header).
    enum Resolution: Equatable {
        case route(ControlRoute)
        case notFound
        case methodNotAllowed(allow: String)
    }

    /// Resolves `method` on `path` (the target without its query).
    static func resolve(method: HTTPMethod, path: String) -> Resolution {
        let endpoints = endpoints(at: path)
        guard !endpoints.isEmpty else { return .notFound }
        for (allowed, route) in endpoints where method == allowed || (allowed == .get && method == .head) {
            return .route(route)
        }
        return .methodNotAllowed(allow: endpoints.map { $0.0 == .get ? "GET, HEAD" : "\($0.0.name)" }.joined(separator: ", "))
    }

    /// The methods `path` answers, each with its endpoint.
    private static func endpoints(at path: String) -> [(HTTPMethod, ControlRoute)] {
        if path == "/v1/faults" { return [(.get, .faults), (.post, .addFault), (.delete, .clearFaults)] }
        if path == "/v1/telemetry" { return [(.get, .telemetry), (.put, .setTelemetry)] }
        let faults = "/v1/faults/"
        if path.hasPrefix(faults) {
            let id = QueryParameters.decode(path.dropFirst(faults.count))
            guard !id.isEmpty, !id.contains("/") else { return [] }
            return [(.delete, .clearFault(id: id))]
        }
        if let endpoint = endpoint(at: path) { return [endpoint] }
        return ToxiproxyRoute.endpoints(at: path).map { ($0.0, .toxiproxy($0.1)) }
    }

    private static func endpoint(at path: String) -> (HTTPMethod, ControlRoute)? {
        switch path {
        case "/v1/heartbeat": return (.post, .heartbeat)
        case "/v1/snapshot": return (.get, .snapshot)
        case "/v1/snapshot/current": return (.get, .currentSnapshot)
        case "/v1/ack": return (.post, .ack)
        case "/v1/instances": return (.get, .instances)
        case "/v1/health": return (.get, .health)
        case "/metrics": return (.get, .metrics)
        case "/v1/metrics": return (.get, .aggregateMetrics)
        case "/v1/certificates": return (.post, .certificates)
        case "/v1/mtls": return (.put, .mtls)
        case "/v1/spans": return (.post, .spans)
        case "/v1/traces": return (.get, .traces)
        default:
            let traces = "/v1/traces/"
            if path.hasPrefix(traces) {
                let id = QueryParameters.decode(path.dropFirst(traces.count))
                guard !id.isEmpty, !id.contains("/") else { return nil }
                return (.get, .trace(id: id))
            }
            let instances = "/v1/instances/", suffix = "/down"
            if path.hasPrefix(instances), path.hasSuffix(suffix), path.count > instances.count + suffix.count {
                let id = QueryParameters.decode(path.dropFirst(instances.count).dropLast(suffix.count))
                guard !id.isEmpty, !id.contains("/") else { return nil }
                return (.post, .down(instance: id))
            }
            let prefix = "/v1/routes/"
            guard path.hasPrefix(prefix) else { return nil }
            let name = QueryParameters.decode(path.dropFirst(prefix.count))
            guard !name.isEmpty, !name.contains("/") else { return nil }
            return (.put, .routes(destination: name))
        }
    }
}
