/// One process the orchestrator starts: an instance of a version of a service, with a stable
/// id and its workload identity.
public struct ServiceInstance: Sendable, Equatable, Hashable {
    /// The service name.
    public let service: String
    /// The version name.
    public let version: String
    /// 0-based index within the version.
    public let index: Int
    /// `SERVICE-VERSION-INDEX`, e.g. `reviews-v1-0` (unique within a valid topology).
    public let id: String
    /// `spiffe://TRUST_DOMAIN/ns/TOPOLOGY_NAME/sa/SERVICE`, shared by all of the service's instances.
    public let identity: String

    public init(service: String, version: String, index: Int, identity: String) {
        self.service = service
        self.version = version
        self.index = index
        self.id = Self.id(service: service, version: version, index: index)
        self.identity = identity
    }

    /// `SERVICE-VERSION-INDEX`.
    public static func id(service: String, version: String, index: Int) -> String {
        "\(service)-\(version)-\(index)"
    }

    /// `spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/SERVICE`.
    public static func identity(trustDomain: String, namespace: String, service: String) -> String {
        "spiffe://\(trustDomain)/ns/\(namespace)/sa/\(service)"
    }
}
