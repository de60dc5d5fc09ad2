import Synchronization

/// Admits a server's connections up to a limit, across all its loops, and counts the ones
/// turned away and the times accepting had to pause (nginx's `worker_connections`, Envoy's
/// downstream connection limit). Touched from every loop thread of the server.
final class ConnectionGate: Sendable {
    /// The most connections open at once.
    let limit: Int
    private let open = Atomic<Int>(0)
    private let rejectedCount = Atomic<Int>(0)
    private let backoffCount = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a place for a new connection; false (and counted) when all are taken.
    func admit() -> Bool {
        var current = open.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        rejectedCount.add(1, ordering: .relaxed)
        return false
    }

    /// Gives back the place of a connection that closed.
    func release() {
        open.subtract(1, ordering: .relaxed)
    }

    /// Notes that accepting paused because the process ran out of descriptors.
    func noteBackoff() {
        backoffCount.add(1, ordering: .relaxed)
    }

    /// Connections open now.
    var openCount: Int { open.load(ordering: .relaxed) }
    /// Connections closed at once because the limit was reached.
    var rejected: Int { rejectedCount.load(ordering: .relaxed) }
    /// Times accepting paused for lack of descriptors.
    var backoffs: Int { backoffCount.load(ordering: .relaxed) }
}
