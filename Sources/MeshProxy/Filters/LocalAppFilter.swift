import MeshIO

/// The inbound side's one endpoint: the local app.
final class LocalAppFilter: ProxyFilter {
    var hooks: FilterHooks { [.attemptStarting] }
    private let app: RoutingTable.CompiledEndpoint

    init(app: SocketAddress) {
        self.app = RoutingTable.CompiledEndpoint(id: "app", version: "", address: app)
    }

    func attemptStarting(_ exchange: ProxyExchange) -> FilterVerdict {
        exchange.endpoint = app
        exchange.endpointIndex = 0
        return .proceed
    }
}
