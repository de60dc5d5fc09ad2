import MeshConfig

/// What a `route` step does: replace the routes of one destination, live, through the
/// control plane; the step waits until every live sidecar applied them.
///
///     - route: {to: reviews, split: {v1: 50, v2: 50}}          # one route for every request
///     - route: {to: reviews, routes: [{match: {headers: {end-user: jason}}, split: {v2: 100}},
///                                     {split: {v1: 50, v2: 50}}]}
///
/// `routes` are read as the topology file's `routes:` (the same checks and messages); the
/// routes are kept as the control plane publishes them.
public struct RouteChange: Sendable, Equatable {
    /// The destination service whose routes are replaced.
    public var to: String
    /// Its new routes, in order (first match wins); empty: every instance of every version.
    public var routes: [RouteConfig]
    /// How the report shows the new routes: `split v1 50, v2 50`, or `2 routes`.
    public var description: String

    public init(to: String, routes: [RouteConfig], description: String) {
        self.to = to
        self.routes = routes
        self.description = description
    }

    /// The keys of a `route:` step.
    static let keys = ["to", "split", "routes"]
}
