/// The destination's own authorization, enforced by its inbound sidecar (Istio's
/// AuthorizationPolicy, ALLOW rules): when the topology lists the service under
/// `authorization`, a request passes only if an entry names the caller's service (read from
/// its verified mTLS certificate, never from a header) and, if the entry says so, the
/// request's method and path. Anything else gets 403 (flag RBAC) and never reaches the app;
/// a caller without a mesh identity (plaintext, permissive mode) matches no entry. A service
/// without a policy allows everyone.
final class AuthorizationFilter: ProxyFilter {
    var hooks: FilterHooks { [.requestStarted] }
    private let state: ProxyLoopState

    init(state: ProxyLoopState) {
        self.state = state
    }

    func requestStarted(_ exchange: ProxyExchange) -> FilterVerdict {
        guard let rules = state.routingTable.destinations[state.service]?.allow, let head = exchange.requestHead else { return .proceed }
        let caller = exchange.callerService
        if let caller, rules.contains(where: { $0.matches(caller: caller, method: head.methodBytes, path: head.path) }) {
            exchange.record.authorization = "allowed"
            return .proceed
        }
        exchange.record.authorization = "denied"
        state.counters.authorizationDenied.add(1, ordering: .relaxed)
        let who = caller.map { "'\($0)'" } ?? "a caller without a mesh identity"
        let method = String(decoding: head.methodBytes, as: UTF8.self)
        let path = String(decoding: head.path, as: UTF8.self)
        return .stop(LocalReply(status: 403, message: "RBAC: access denied: \(who) may not \(method) \(path) on '\(state.service)'",
                                flags: .rbacDenied))
    }
}
