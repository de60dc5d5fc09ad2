import MeshIO

/// Requests of one event loop waiting for a connection to a destination whose pool is full
/// (`maxConnections` reached, no idle connection), first come first served. A connection of
/// the destination that goes idle or closes on this loop wakes the first one, on the next turn
/// of the loop (never inside the call that freed the connection). Requests waiting on one
/// loop are not woken by connections freed on another: they wait for their own loop's, or
/// their timeout.
final class ConnectionWaiters {
    private let timers: any TimerScheduler
    private var queues: [String: [ProxyExchange]] = [:]
    private var scheduled: Set<String> = []

    init(timers: any TimerScheduler) {
        self.timers = timers
    }

    /// Requests waiting for `destination`.
    func count(_ destination: String) -> Int { queues[destination]?.count ?? 0 }

    /// Queues `exchange` for a connection to `destination`.
    func enqueue(_ exchange: ProxyExchange, for destination: String) {
        queues[destination, default: []].append(exchange)
    }

    /// Takes `exchange` out of the queue (it ended while waiting); true if it was there.
    @discardableResult
    func remove(_ exchange: ProxyExchange, for destination: String) -> Bool {
        guard var queue = queues[destination], let index = queue.firstIndex(where: { $0 === exchange }) else { return false }
        queue.remove(at: index)
        queues[destination] = queue.isEmpty ? nil : queue
        return true
    }

    /// A connection to `destination` went idle or closed: the first waiter tries again on the
    /// loop's next turn.
    func wake(_ destination: String) {
        guard queues[destination]?.isEmpty == false, !scheduled.contains(destination) else { return }
        scheduled.insert(destination)
        timers.schedule(at: timers.now) { [weak self] in
            guard let self else { return }
            self.scheduled.remove(destination)
            guard var queue = self.queues[destination], !queue.isEmpty else { return }
            let first = queue.removeFirst()
            self.queues[destination] = queue.isEmpty ? nil : queue
            first.resumeFromPool()
        }
    }
}
