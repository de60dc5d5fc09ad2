import MeshIO

/// The inbound side's one endpoint: the local app.
final class LocalAppFilter: ProxyFilter {
    private let app: SocketAddress

    init(app: SocketAddress) {
        self.app = app
    }

    func attemptStarting(_ exchange: ProxyExchange) -> FilterVerdict {
        exchange.endpoint = ("app", app, 0)
        return .proceed
    }
}
