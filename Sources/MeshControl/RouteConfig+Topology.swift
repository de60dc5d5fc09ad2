import MeshConfig
import MeshTopology

extension RouteConfig {
    /// A topology route of `service` as the control plane publishes it (header names
    /// lower-case; no `split`: every version, weighted by its replicas), for clients that
    /// send routes read from topology syntax (the scenario `route` step).
    public init(_ route: Route, of service: Service) {
        self = SnapshotStore.routeConfig(route, service: service)
    }
}
