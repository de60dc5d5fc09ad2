import MeshOrchestrator

/// What the running sidecars route to: for each sidecar whose admin port answers (every
/// instance's and the ingress gateway's), the endpoint ids of its current configuration
/// (`GET /config`). This is what `routed`/`notRouted` expectations check, as opposed to
/// readiness: an instance can be dead yet still held by sidecars until they learn otherwise.
struct RoutedEndpoints {
    /// Sidecars (instance id, or `ingress`) that answered, with the instance ids they route to.
    var sidecars: [(name: String, endpoints: Set<String>)]

    /// Asks every sidecar of `state` for its configuration (sidecars that do not answer, such
    /// as a killed or paused one, are left out).
    static func probe(_ state: MeshState) -> RoutedEndpoints {
        var sidecars: [(name: String, endpoints: Set<String>)] = []
        for (name, _, admin) in state.sidecarAdmins {
            guard let (status, body) = HTTPProbe.get(address: admin, path: "/config", timeout: .milliseconds(500)), status == 200,
                  let endpoints = endpointIDs(config: body)
            else { continue }
            sidecars.append((name, endpoints))
        }
        return RoutedEndpoints(sidecars: sidecars)
    }

    /// The endpoint ids in a sidecar's `/config` body: `snapshot.services.*.versions.*[].id`
    /// (nil when the body is not such a document; empty before the first snapshot).
    static func endpointIDs(config: [UInt8]) -> Set<String>? {
        guard let object = JSONValue.parse(config)?.object else { return nil }
        guard let snapshot = object["snapshot"]?.object else { return object["snapshot"] == .null ? [] : nil }
        var ids: Set<String> = []
        for case .object(let service) in (snapshot["services"]?.object ?? [:]).values {
            for case .array(let endpoints) in (service["versions"]?.object ?? [:]).values {
                for case .object(let endpoint) in endpoints { if case .string(let id)? = endpoint["id"] { ids.insert(id) } }
            }
        }
        return ids
    }

    /// How many of the answering sidecars route to `id`.
    func holders(of id: String) -> Int {
        sidecars.filter { $0.endpoints.contains(id) }.count
    }
}
