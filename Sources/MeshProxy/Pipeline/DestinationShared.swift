import MeshResilience
import Synchronization

/// What all of a sidecar's event loops share about one destination: its retry budget, its
/// outlier detector and its connection-pool limits (Envoy keeps these per cluster across
/// workers too). Compiled with each snapshot, carried over from the previous one, so a new
/// snapshot keeps the budget's counts, the endpoints' ejection history and the limits' counts.
final class DestinationShared: Sendable {
    /// At most 20% of active requests (at least 3) may be retries in flight.
    let budget: RetryBudget
    /// Outlier detection over the destination's endpoints (in `RoutingTable.Destination.all`
    /// order), when its policy has a `circuitBreaker`.
    let outlier: OutlierDetector?
    /// Connection-pool limits, when its policy has a `circuitBreaker`.
    let limits: DestinationLimits?

    init(budget: RetryBudget = RetryBudget(), outlier: OutlierDetector? = nil, limits: DestinationLimits? = nil) {
        self.budget = budget
        self.outlier = outlier
        self.limits = limits
    }

    /// The shared state for `endpoints` under `policy`, keeping what `previous` knew.
    static func compile(endpoints: [String], policy: RoutePolicy, previous: DestinationShared?) -> DestinationShared {
        let budget = previous?.budget ?? RetryBudget()
        var outlier: OutlierDetector?
        if let detection = policy.outlierDetection {
            if let old = previous?.outlier {
                outlier = old.configuration == detection && old.endpoints == endpoints
                    ? old : old.updated(endpoints: endpoints, configuration: detection)
            } else {
                outlier = OutlierDetector(endpoints: endpoints, configuration: detection)
            }
        }
        var limits: DestinationLimits?
        if let maxima = policy.limits {
            limits = previous?.limits?.maxima == maxima ? previous?.limits : DestinationLimits(maxima)
        }
        return DestinationShared(budget: budget, outlier: outlier, limits: limits)
    }
}

/// The connection-pool limits toward one destination, per sidecar (Istio's `connectionPool`
/// settings, under `circuitBreaker:`), with the counts they are checked against.
final class DestinationLimits: Sendable {
    /// The three limits.
    struct Maxima: Sendable, Equatable {
        var connections: Int
        var pendingRequests: Int
        var requests: Int
    }

    let maxima: Maxima
    /// Requests in flight to the destination.
    let requests = Atomic<Int>(0)
    /// Connections open (or opening) to the destination's endpoints.
    let connections = Atomic<Int>(0)
    /// Requests waiting for a connection.
    let pending = Atomic<Int>(0)

    init(_ maxima: Maxima) {
        self.maxima = maxima
    }

    /// Takes one of `counter` unless it is at `limit` already.
    static func acquire(_ counter: borrowing Atomic<Int>, limit: Int) -> Bool {
        var current = counter.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = counter.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }
}
