import MeshIO

/// Requests of one event loop waiting for a connection to a destination whose pool is full
/// (`maxConnections` reached, no idle connection), first come first served. Each connection
/// of the destination that goes idle or closes on this loop wakes one, in order, on the next
/// turn of the loop (never inside the call that freed the connection). Requests waiting on
/// one loop are not woken by connections freed on another: they wait for their own loop's,
/// or their timeout (a sidecar runs one loop unless started with `--threads`).
final class ConnectionWaiters {
    private let timers: any TimerScheduler
    private var queues: [String: [ProxyExchange]] = [:]
    /// Wakes due on the next turn, per destination (each freed connection wakes one waiter).
    private var wakes: [String: Int] = [:]

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
        guard queues[destination]?.isEmpty == false else { return }
        let due = wakes[destination, default: 0]
        wakes[destination] = due + 1
        guard due == 0 else { return }
        timers.schedule(at: timers.now) { [weak self] in
            guard let self else { return }
            var count = self.wakes.removeValue(forKey: destination) ?? 0
            while count > 0, var queue = self.queues[destination], !queue.isEmpty {
                count -= 1
                let first = queue.removeFirst()
                self.queues[destination] = queue.isEmpty ? nil : queue
                first.resumeFromPool()
            }
        }
    }
}
