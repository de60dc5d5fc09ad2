// MeshTopology: topology files (SPEC §3) read into typed, immutable values, with every
// mistake reported as FILE:LINE:COLUMN: message.
//
//     text ──YAMLParser──▶ YAMLNode ──Topology.validate──▶ Topology        (all valid)
//                                                      └──▶ TopologyErrors  (every mistake)
//
// - `Topology.load(text:file:)` / `Topology.validate(document:file:)`: the whole file,
//   validated in one pass that collects every diagnostic (sorted by line and column).
// - The model: `MeshSettings`, `IngressSettings`, `Service` / `ServiceVersion` /
//   `Behavior` / `AppSpec`, `Route` / `RouteMatch`, `Policy` (`RetryPolicy`,
//   `CircuitBreaker`, `LoadBalancer`), `AuthorizationRule`, and `FaultSpec` (SPEC §6),
//   which scenario steps and the command line parse on its own.
// - Derived data for the orchestrator: `Topology.instances` (`SERVICE-VERSION-INDEX`
//   ids) and SPIFFE identities.
//
// Extensions to SPEC §3 (documented where they live): a per-version `calls` override,
// service-level `behavior` for a service without `versions`, a list form of `split`, and
// `{port}` in `app.env` values.
//
// Standard library only: no Foundation, no Glibc.
