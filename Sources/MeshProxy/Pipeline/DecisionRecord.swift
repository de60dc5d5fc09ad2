import MeshCore
import MeshHTTP

/// What one sidecar decided for one request, appended to by every filter as the request
/// goes through the pipeline: the route matched, the split bucket, each attempt (endpoint,
/// outcome, why it was retried and after what backoff), and why the request ended as it did.
/// It feeds `x-meshbed-explain` (SPEC §7) and the sidecar's counters; later metrics, logs
/// and spans read the same record. Reused request after request (no allocation when the
/// attempts fit the kept capacity).
struct DecisionRecord {
    /// One try of the request against one endpoint.
    struct Attempt {
        /// The endpoint's instance id (`reviews-v1-0`; `app` on the inbound side).
        var endpoint: String
        /// How it ended; nil while in flight, or when the request ended first.
        var outcome: AttemptOutcome?
        /// The `retryOn` condition that sent the request on to another attempt, if one did.
        var retryReason: String?
        /// The backoff before the next attempt, in nanoseconds.
        var backoff: UInt64 = 0
        /// When it started (the loop's clock, nanoseconds).
        var startedAt: UInt64 = 0
    }

    /// The destination service (empty on the inbound side).
    var destination = ""
    /// The index of the route that matched (nil: the destination has no routes).
    var route: Int?
    /// The version the split chose (nil: every version).
    var bucket: String?
    var attempts: [Attempt] = []
    /// The mirror endpoint a copy went to, if one did.
    var mirror: String?
    /// What the circuit breaker did: an ejection this request caused (`ejected ID for 30s`),
    /// `panic` (too few endpoints healthy: ejections ignored), `overflow` (a limit was reached).
    var circuit: String?
    var flags: ResponseFlags = []
    /// Why a failed attempt was not retried, when a retry was otherwise possible (say, a
    /// body too large to replay).
    var note: String?
    /// The caller's verified identity (inbound with mTLS; nil: plaintext or no mTLS).
    var peer: String?
    /// What authorization decided (`allowed`, `denied`), when the destination has a policy.
    var authorization: String?
    /// The injected faults that fired (`f1 delay 120ms (request 4)`, `f2 abort 503 (request 4)`).
    var fault: String?
    /// The status the caller was answered with (0: none, the exchange ended first).
    var status = 0
    /// When the request's head arrived (the loop's clock, nanoseconds).
    var startedAt: UInt64 = 0
    /// The request's method and path (without the query), for the access log.
    var method = HTTPMethod.get
    var path: [UInt8] = []
    /// Response body bytes sent to the caller.
    var responseBytes = 0

    init() {
        attempts.reserveCapacity(4)
    }

    /// Forgets the previous request.
    mutating func reset() {
        destination = ""
        route = nil
        bucket = nil
        attempts.removeAll(keepingCapacity: true)
        mirror = nil
        circuit = nil
        flags = []
        note = nil
        authorization = nil
        fault = nil
        status = 0
        startedAt = 0
        method = .get
        path.removeAll(keepingCapacity: path.capacity <= 1024)
        responseBytes = 0
    }

    /// Notes one fault that fired.
    mutating func appendFault(_ text: String) {
        fault = fault.map { $0 + ", " + text } ?? text
    }

    /// Retries made (attempts after the first).
    var retries: Int { max(0, attempts.count - 1) }

    /// Appends the record as one line of JSON, for the `x-meshbed-explain` header:
    /// `{"sidecar","mode","destination","route","bucket","attempts":[{"endpoint","outcome","retry","backoffMs"}],"mirror","circuit","flags","note","peer","authorization","fault"}`.
    func appendJSON(sidecar: String, mode: String, into out: inout [UInt8]) {
        JSONWriter.object(into: &out) { json in
            json.field("sidecar", string: sidecar)
            json.field("mode", string: mode)
            if !destination.isEmpty { json.field("destination", string: destination) }
            if let route { json.field("route", integer: route) }
            if let bucket { json.field("bucket", string: bucket) }
            json.field("attempts", array: { list in
                for attempt in attempts {
                    list.element(object: { item in
                        item.field("endpoint", string: attempt.endpoint)
                        if let outcome = attempt.outcome { item.field("outcome", string: outcome.text) }
                        if let reason = attempt.retryReason {
                            item.field("retry", string: reason)
                            item.field("backoffMs", number: Double(attempt.backoff / 1000) / 1000)
                        }
                    })
                }
            })
            if let mirror { json.field("mirror", string: mirror) }
            if let circuit { json.field("circuit", string: circuit) }
            json.field("flags", string: flags.codeText)
            if let note { json.field("note", string: note) }
            if let peer { json.field("peer", string: peer) }
            if let authorization { json.field("authorization", string: authorization) }
            if let fault { json.field("fault", string: fault) }
        }
    }
}
