import MeshConfig
import MeshCore
import MeshHTTP

/// One request-level fault (`delay`, `abort`) compiled for the data path: its scope as
/// bytes to compare, its trigger, what it does, and its shared counter.
///
/// Deciding is deterministic: the n-th request in the fault's scope (counted by this
/// sidecar, from 1) fires or not, and draws its delay, from a generator seeded with the
/// sidecar's seed, the fault's id and n, so a seeded run faults the same request indices
/// by the same amounts, whichever loop serves them.
final class FaultRule: Sendable {
    /// What it does to a request it fires on.
    enum Action: Sendable {
        /// Hold the request for a drawn time.
        case delay(DelaySampler)
        /// Answer with this status, body and extra response header lines (`name: value\r\n`).
        case abort(status: Int, body: [UInt8]?, headerLines: [UInt8])
    }

    /// Which requests in scope it fires on.
    enum Trigger: Sendable, Equatable {
        /// Each with probability percent/100 (100: every one).
        case percent(Double)
        /// Only those numbered in the range (from 1).
        case numbered(ClosedRange<Int>)
    }

    /// The outcome for one request that fired.
    struct Firing {
        /// The request's number in the fault's scope (from 1).
        let index: Int
        /// How long to hold it (delay faults; 0 for aborts).
        let delay: UInt64
    }

    let id: String
    let action: Action
    /// Applied by the destination's inbound sidecar (else the caller's).
    let serverSide: Bool
    let destination: String
    /// Only requests from this service (`ingress` for the gateway); nil: every caller.
    let source: String?
    /// Only requests routed to (client side) or served by (server side) this version.
    let version: String?
    /// Lower-case names and values that must all be present.
    let headers: [(name: [UInt8], value: [UInt8])]
    let trigger: Trigger
    let counter: FaultCounter
    private let seed: UInt64

    /// Compiles `config` (a `delay` or `abort`), with the sidecar's `seed` and the counter
    /// the fault had before (or a new one).
    init(_ config: FaultConfig, seed: UInt64, counter: FaultCounter) throws(ConfigError) {
        id = config.id
        let label = "fault \(config.id)"
        guard let to = config.to else { throw ConfigError("\(label): missing field 'to'") }
        destination = to
        source = config.from
        version = config.version
        switch config.side ?? "client" {
        case "client": serverSide = false
        case "server": serverSide = true
        case let other: throw ConfigError("\(label): side: expected client or server, got '\(other)'")
        }
        headers = (config.headers ?? [:]).keys.sorted().map { (Array($0.lowercased().utf8), Array(config.headers![$0]!.utf8)) }
        if let range = config.requests {
            guard range.count == 2, range[0] >= 1, range[0] <= range[1] else { throw ConfigError("\(label): requests: expected [first, last] from 1") }
            trigger = .numbered(range[0]...range[1])
        } else if let first = config.first {
            guard first >= 1 else { throw ConfigError("\(label): first: expected at least 1") }
            trigger = .numbered(1...first)
        } else {
            let percent = config.percent ?? 100
            guard percent >= 0, percent <= 100 else { throw ConfigError("\(label): percent: expected 0–100") }
            trigger = .percent(percent)
        }
        switch config.kind {
        case "delay":
            guard let delay = config.delay else { throw ConfigError("\(label): missing field 'delay'") }
            do {
                action = .delay(try DelaySampler(delay))
            } catch {
                throw ConfigError("\(label): \(error.message)")
            }
        case "abort":
            guard let status = config.status, (200...599).contains(status) else { throw ConfigError("\(label): status: expected 200–599") }
            var lines: [UInt8] = []
            for name in (config.responseHeaders ?? [:]).keys.sorted() {
                let value = config.responseHeaders![name]!
                guard HTTPHeaders.isValidName(Array(name.utf8)), HTTPHeaders.isValidValue(Array(value.utf8)) else {
                    throw ConfigError("\(label): responseHeaders: '\(name)' is not a valid header")
                }
                HTTPSerializer.appendHeader(name: ArraySlice(name.lowercased().utf8), value: ArraySlice(value.utf8), into: &lines)
            }
            if config.body != nil, config.responseHeaders?.keys.contains(where: { $0.lowercased() == "content-type" }) != true {
                HTTPSerializer.appendHeader(name: "content-type", value: "text/plain; charset=utf-8", into: &lines)
            }
            action = .abort(status: status, body: config.body.map { Array($0.utf8) }, headerLines: lines)
        default:
            throw ConfigError("\(label): kind '\(config.kind)' is not a request-level fault")
        }
        self.counter = counter
        // The fault's own stream: the sidecar's seed mixed with its id (FNV-1a).
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in config.id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        self.seed = seed ^ hash
    }

    /// Whether `head` carries every header value the fault asks for. (Source and version are
    /// the filter's to compare: `FaultSet` already left out what cannot match this sidecar.)
    @inline(__always)
    func matchesHeaders(_ head: HTTPRequestHead) -> Bool {
        for header in headers {
            guard let index = head.headers.firstIndex(ofLowercased: header.name),
                  head.headers.value(at: index).elementsEqual(header.value) else { return false }
        }
        return true
    }

    /// Counts one request in scope and decides whether the fault fires on it.
    func decide() -> Firing? {
        let index = counter.matched.add(1, ordering: .relaxed).newValue
        var random = SeededRandom(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        switch trigger {
        case .numbered(let range): guard range.contains(index) else { return nil }
        case .percent(let percent): guard percent >= 100 || random.percent(percent) else { return nil }
        }
        counter.injected.add(1, ordering: .relaxed)
        if case .delay(let sampler) = action { return Firing(index: index, delay: sampler.draw(using: &random)) }
        return Firing(index: index, delay: 0)
    }
}
