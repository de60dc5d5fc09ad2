/// Fault injection (SPEC §6; Envoy's fault filter): the request-level faults in force for
/// this request's destination, each in scope when its source, version and headers match,
/// fire by their trigger. A `delay` holds the request before its first attempt (inside the
/// route timeout, so a policy's `timeout` bounds an injected delay); an `abort` answers it
/// (after any delay that also fired) with the fault's status, body and headers, flag FI.
///
/// On the client side (outbound, gateway) it runs right after routing, before any attempt:
/// the caller's retries never see its aborts, as with Envoy. On the server side (inbound)
/// it runs right after authorization, so every attempt that reaches the destination meets
/// it and the caller's retry policy acts on what it answers.
final class FaultFilter: ProxyFilter {
    private unowned let state: ProxyLoopState
    private let serverSide: Bool

    init(state: ProxyLoopState, serverSide: Bool) {
        self.state = state
        self.serverSide = serverSide
    }

    var hooks: FilterHooks { [.requestStarted] }

    func requestStarted(_ exchange: ProxyExchange) -> FilterVerdict {
        let rules: [FaultRule]
        var serverFaults: FaultSet?
        if serverSide {
            guard let faults = state.serverFaults else { return .proceed }
            serverFaults = faults
            rules = faults.server
        } else {
            // Routing found them with the destination (`ProxyLoopState.Resolved.faults`).
            guard let forDestination = exchange.clientFaults else { return .proceed }
            rules = forDestination
        }
        guard let head = exchange.requestHead else { return .proceed }
        // Server side: the caller's service from its certificate, else the header its sidecar set.
        let caller = serverFaults?.serverChecksCaller == true ? exchange.callerService ?? head.headers.firstString("x-meshbed-source") : nil
        var delay: UInt64 = 0, fired = false
        for rule in rules where rule.matchesHeaders(head) {
            if serverSide {
                if let source = rule.source, source != caller { continue }
            } else if let version = rule.version, version != exchange.version {
                continue
            }
            guard let firing = rule.decide() else { continue }
            if !fired {
                fired = true
                state.counters.faulted.add(1, ordering: .relaxed)
            }
            switch rule.action {
            case .delay:
                delay &+= firing.delay
                state.counters.faultDelays.add(1, ordering: .relaxed)
                exchange.record.flags.insert(.faultDelay)
                exchange.record.appendFault("\(rule.id) delay \(ProxyExchange.text(firing.delay)) (request \(firing.index))")
            case .abort(let status, let body, let headerLines):
                state.counters.faultAborts.add(1, ordering: .relaxed)
                exchange.record.appendFault("\(rule.id) abort \(status) (request \(firing.index))")
                let reply = LocalReply(status: status, message: "fault injected: abort \(status) (fault \(rule.id))", flags: .faultAbort,
                                       body: body, headerLines: headerLines)
                guard delay > 0 else { return .stop(reply) }
                exchange.holdForFault(delay, then: reply)
                return .proceed
            }
        }
        if delay > 0 { exchange.holdForFault(delay, then: nil) }
        return .proceed
    }
}
