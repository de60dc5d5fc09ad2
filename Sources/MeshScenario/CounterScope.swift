/// Whose admin counters (`GET /stats`) a counter expectation adds up: every sidecar of the
/// topology and the ingress gateway (the default), only the gateway (`of: ingress`), or the
/// sidecars of some instances (`of: {service: S, version: V, instance: N}`).
public enum CounterScope: Sendable, Equatable, CustomStringConvertible {
    case all
    case ingress
    case instances(InstanceSelector)

    /// Whether a sidecar is in the scope: an instance's (`instance` set) or the gateway's (nil).
    func includes(_ instance: (service: String, version: String, index: Int)?) -> Bool {
        switch self {
        case .all: true
        case .ingress: instance == nil
        case .instances(let selector): instance.map { selector.matches(service: $0.service, version: $0.version, index: $0.index) } ?? false
        }
    }

    /// `all sidecars`, `ingress`, `reviews v3`.
    public var description: String {
        switch self {
        case .all: "all sidecars"
        case .ingress: "ingress"
        case .instances(let selector): selector.description
        }
    }
}
