/// Routing (outbound and gateway): names the destination service from the request
/// (`Host`, or an absolute-form target), matches the destination's routes in order, draws
/// the split bucket, and takes the destination's policy and the route's mirror. Unknown service or no matching
/// route: 404 (NR).
final class RoutingFilter: ProxyFilter {
    var hooks: FilterHooks { [.requestStarted] }
    private unowned let state: ProxyLoopState

    init(state: ProxyLoopState) {
        self.state = state
    }

    func requestStarted(_ exchange: ProxyExchange) -> FilterVerdict {
        guard let head = exchange.requestHead, let service = exchange.destinationService(of: head) else {
            return .stop(LocalReply(status: 400, message: "the request names no destination: send Host: SERVICE or an absolute-form URL",
                                    flags: .noRoute))
        }
        exchange.destination = service
        exchange.record.destination = service
        switch state.chooseRoute(service: service, head: head) {
        case .success(let choice):
            exchange.record.route = choice.route
            exchange.record.bucket = choice.version
            exchange.version = choice.version
            exchange.policy = choice.resolved.destination.policy
            exchange.routeMirror = choice.mirror
            exchange.shared = choice.resolved.destination.shared
            exchange.clientFaults = choice.resolved.faults
            return .proceed
        case .failure(.unknownService):
            return .stop(LocalReply(status: 404, message: "no service '\(service)' in the mesh", flags: .noRoute))
        case .failure(.noRouteMatched):
            return .stop(LocalReply(status: 404, message: "no route to '\(service)' matches this request", flags: .noRoute))
        case .failure(.noHealthyUpstream(let version)):
            return .stop(LocalReply(status: 503, message: "no healthy upstream for '\(service)'" + (version.map { " version \($0)" } ?? ""),
                                    flags: .noHealthyUpstream))
        }
    }
}
