import MeshCore
import MeshFaults
import Synchronization

/// What a sidecar counted since it started, per event loop (each loop adds to its own, with
/// relaxed atomics; the admin endpoint `/stats` adds the loops up). Scenario expectations
/// (`retries`, `timeouts`, …) read these.
final class ProxyCounters: Sendable {
    /// Requests that started (every listener but admin).
    let requests = Atomic<Int>(0)
    /// Retry attempts (attempts after a request's first).
    let retries = Atomic<Int>(0)
    /// Requests answered 504 because the route timeout passed.
    let timeouts = Atomic<Int>(0)
    /// Attempts that passed their per-try timeout.
    let perTryTimeouts = Atomic<Int>(0)
    /// Retries not made because the destination's retry budget was spent.
    let budgetExhausted = Atomic<Int>(0)
    /// Endpoints ejected by outlier detection.
    let ejections = Atomic<Int>(0)
    /// Requests answered 503 at once because a connection-pool limit was reached.
    let overflows = Atomic<Int>(0)
    /// Copies of requests sent to a mirror version.
    let mirrored = Atomic<Int>(0)
    /// Mirrored copies that failed (never seen by callers).
    let mirrorFailures = Atomic<Int>(0)
    /// Requests the sidecar answered itself (404, 408, 502, 503, 504…).
    let localReplies = Atomic<Int>(0)
    /// Inbound connections that spoke mTLS (handshake started).
    let inboundTLS = Atomic<Int>(0)
    /// Inbound connections that spoke plaintext (permissive mode; refused in strict mode).
    let inboundPlaintext = Atomic<Int>(0)
    /// TLS handshakes that failed or whose peer was refused, either side (each one logged).
    let tlsRejected = Atomic<Int>(0)
    /// Requests answered 403 because the destination's authorization does not allow the caller.
    let authorizationDenied = Atomic<Int>(0)
    /// Requests at least one injected fault delayed or answered.
    let faulted = Atomic<Int>(0)
    /// Connections a partition kept from being opened, and requests from a partitioned
    /// caller dropped by the inbound side.
    let partitioned = Atomic<Int>(0)
    /// What link faults did to this loop's connections (bytes held or dropped, resets, closes).
    let toxics = ToxicTotals()
    /// Requests an injected fault delayed.
    let faultDelays = Atomic<Int>(0)
    /// Requests an injected fault answered (abort).
    let faultAborts = Atomic<Int>(0)
    /// Trace spans the control plane took, and spans dropped (too many waiting, or a batch
    /// the control plane did not take).
    let spansReported = Atomic<Int>(0)
    let spansDropped = Atomic<Int>(0)

    /// The counters' names and their sums over `all`, in a stable order.
    static func totals(_ all: [ProxyCounters]) -> [(name: String, value: Int)] {
        func sum(_ field: (ProxyCounters) -> Int) -> Int { all.reduce(0) { $0 + field($1) } }
        return [
            ("requests", sum { $0.requests.load(ordering: .relaxed) }),
            ("retries", sum { $0.retries.load(ordering: .relaxed) }),
            ("timeouts", sum { $0.timeouts.load(ordering: .relaxed) }),
            ("perTryTimeouts", sum { $0.perTryTimeouts.load(ordering: .relaxed) }),
            ("budgetExhausted", sum { $0.budgetExhausted.load(ordering: .relaxed) }),
            ("ejections", sum { $0.ejections.load(ordering: .relaxed) }),
            ("overflows", sum { $0.overflows.load(ordering: .relaxed) }),
            ("localReplies", sum { $0.localReplies.load(ordering: .relaxed) }),
            ("mirrored", sum { $0.mirrored.load(ordering: .relaxed) }),
            ("mirrorFailures", sum { $0.mirrorFailures.load(ordering: .relaxed) }),
            ("inboundTLS", sum { $0.inboundTLS.load(ordering: .relaxed) }),
            ("inboundPlaintext", sum { $0.inboundPlaintext.load(ordering: .relaxed) }),
            ("tlsRejected", sum { $0.tlsRejected.load(ordering: .relaxed) }),
            ("authorizationDenied", sum { $0.authorizationDenied.load(ordering: .relaxed) }),
            ("faulted", sum { $0.faulted.load(ordering: .relaxed) }),
            ("partitioned", sum { $0.partitioned.load(ordering: .relaxed) }),
            ("toxicBytesDelayed", sum { Int(clamping: $0.toxics.bytesDelayed.load(ordering: .relaxed)) }),
            ("toxicBytesDropped", sum { Int(clamping: $0.toxics.bytesDropped.load(ordering: .relaxed)) }),
            ("toxicResets", sum { Int(clamping: $0.toxics.connectionsReset.load(ordering: .relaxed)) }),
            ("toxicCloses", sum { Int(clamping: $0.toxics.connectionsClosed.load(ordering: .relaxed)) }),
            ("faultDelays", sum { $0.faultDelays.load(ordering: .relaxed) }),
            ("faultAborts", sum { $0.faultAborts.load(ordering: .relaxed) }),
            ("spansReported", sum { $0.spansReported.load(ordering: .relaxed) }),
            ("spansDropped", sum { $0.spansDropped.load(ordering: .relaxed) }),
        ]
    }

    /// `{"requests": N, ..., "faults": {"f1": {"matched": N, "injected": N}}}` for the admin
    /// `/stats` endpoint (`faults`: every request-level fault in force, by id).
    static func json(_ all: [ProxyCounters], faults: FaultSet? = nil) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.object(into: &out) { json in
            for (name, value) in totals(all) { json.field(name, integer: value) }
            json.field("faults", object: { list in
                for rule in faults?.all ?? [] {
                    list.field(rule.id, object: {
                        $0.field("matched", integer: rule.counter.matched.load(ordering: .relaxed))
                        $0.field("injected", integer: rule.counter.injected.load(ordering: .relaxed))
                    })
                }
            })
        }
        out.append(10)
        return out
    }
}
