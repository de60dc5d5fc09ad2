/// Mirroring (outbound and gateway): when the matched route has a `mirror` and the request
/// falls in its percentage, a copy of the whole request goes to an endpoint of the mirror
/// version once the request has arrived (fire and forget: `MirrorRequest`). The caller only
/// ever sees the primary's answer. A body over the replay limit is not mirrored (and the
/// record says so).
final class MirrorFilter: ProxyFilter {
    var hooks: FilterHooks { [.requestStarted, .requestReceived] }
    private unowned let state: ProxyLoopState

    init(state: ProxyLoopState) {
        self.state = state
    }

    func requestStarted(_ exchange: ProxyExchange) -> FilterVerdict {
        guard let mirror = exchange.routeMirror else { return .proceed }
        if state.draw(percent: mirror.percent) { exchange.mirrorVersion = mirror.version }
        return .proceed
    }

    func requestReceived(_ exchange: ProxyExchange) {
        guard let version = exchange.mirrorVersion else { return }
        guard exchange.bodyReplayable else {
            exchange.record.note = "not mirrored: the request body is over \(ProxyExchange.replayLimit / 1024) KiB"
            return
        }
        guard let (_, endpoint, _, _) = state.pick(service: exchange.destination, version: version, avoiding: []) else {
            state.counters.mirrored.add(1, ordering: .relaxed)
            state.counters.mirrorFailures.add(1, ordering: .relaxed)
            return
        }
        exchange.record.mirror = "\(endpoint.id)"
        MirrorRequest.send(exchange.mirrorCopy(), isHEAD: exchange.isHEADRequest, to: endpoint.address, connector: state.connector,
                           counters: state.counters, timers: state.timers, timeout: state.upstreamTimeout)
    }
}
