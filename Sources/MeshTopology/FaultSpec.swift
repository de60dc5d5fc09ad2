import MeshCore
import MeshYAML

/// One fault (SPEC §6) as plain data: what it does, to whom, to which requests, for how
/// long. The same form serves a topology's `faults:`, scenario `fault:` steps,
/// `meshbed fault add` and the control plane API, so it parses on its own
/// (`FaultSpec.parse(node:file:services:)`).
///
/// Fields by kind (`kind` is required; `duration` is allowed on every kind but `resume`
/// and `restart`, which happen once):
///
///     delay      to, delay,   [from, version, side, headers, percent | requests | first]
///     abort      to, status,  [body, responseHeaders, from, version, side, headers,
///                              percent | requests | first]
///     latency    to, latency, [jitter (default 0s, at most latency), from]
///     bandwidth  to, rate,    [from]
///     reset      to,          [after (bytes), timeout, from]
///     blackhole  to,          [timeout (closes the connection), from]
///     slowClose  to, delay,   [from]
///     slicer     to, averageSize, [sizeVariation, delay, from]
///     limitData  to, bytes,   [from]
///     (every link kind above from latency on also takes direction and toxicity)
///     partition  between: [A, B]  |  [from,] to   (without `from`: every caller), [timeout]
///     loss       to, percent, [from]   (packets dropped; --runtime netns only)
///     kill, pause, resume, restart   service, [version, instance]
///
/// `from`, `between` may name `ingress` (requests entering through the ingress gateway).
/// A request-level fault has at most one trigger; without one it applies to every matching
/// request. `side: client` (the default) applies it in the caller's sidecar before any
/// attempt (no retry sees it, as Envoy's fault filter); `side: server` in the destination's
/// inbound sidecar, so each attempt meets it and the caller's retries act on it. `instance` counts within `version` when one is given, otherwise over all the
/// service's instances in the order of `Topology.instances`.
public struct FaultSpec: Sendable, Equatable, CustomStringConvertible {
    /// What the fault does, with the settings of its kind.
    public enum Action: Sendable, Equatable {
        /// Hold the request for a time drawn from the distribution (`delay`).
        case delay(DelayDistribution)
        /// Answer with this status (`status`, 200–599), optionally this body and these
        /// response headers (names in lowercase).
        case abort(status: Int, body: String? = nil, responseHeaders: OrderedMap<String> = [:])
        /// Delay bytes on the link by `latency` ± `jitter`.
        case latency(Duration, jitter: Duration)
        /// Throttle the link (`rate`).
        case bandwidth(BandwidthRate)
        /// Reset connections after this many bytes (`after`) or this long after the first byte
        /// (`timeout`), whichever comes first; with neither, at the first byte.
        case reset(afterBytes: Int?, timeout: Duration? = nil)
        /// Accept and never answer; close the connection this long after it started
        /// (`timeout`; nil: never).
        case blackhole(timeout: Duration? = nil)
        /// Let a close through only after this long.
        case slowClose(Duration)
        /// Cut bytes into slices of `averageSize` ± `sizeVariation` bytes, `delay` apart.
        case slicer(averageSize: Int, sizeVariation: Int, delay: Duration)
        /// Close the connection once this many bytes have passed.
        case limitData(bytes: Int)
        /// Refuse every new connection; the open ones carry nothing more and are closed this
        /// long after the partition starts (`timeout`; nil: never, they hang).
        case partition(timeout: Duration? = nil)
        /// Drop `percent` (0–100) of the packets on the link.
        case loss(percent: Double)
        /// Kill the instances.
        case kill
        /// Stop the instances until resumed.
        case pause
        /// Continue paused instances.
        case resume
        /// Stop and start the instances.
        case restart

        /// The kind of this action.
        public var kind: FaultKind {
            switch self {
            case .delay: .delay
            case .abort: .abort
            case .latency: .latency
            case .bandwidth: .bandwidth
            case .reset: .reset
            case .blackhole: .blackhole
            case .slowClose: .slowClose
            case .slicer: .slicer
            case .limitData: .limitData
            case .partition: .partition
            case .loss: .loss
            case .kill: .kill
            case .pause: .pause
            case .resume: .resume
            case .restart: .restart
            }
        }
    }

    /// Where the fault acts.
    public enum Target: Sendable, Equatable {
        /// Traffic to `to`, from `from` only (or from every caller when `nil`).
        case link(from: String?, to: String)
        /// Traffic both ways between two services (a two-way partition).
        case between(String, String)
        /// Instances of `service`: of one `version` and/or one `instance` index, or all.
        case instances(service: String, version: String?, instance: Int?)
    }

    /// What the fault does.
    public let action: Action
    /// Where it acts.
    public let target: Target
    /// Which sidecar applies a request-level fault.
    public enum Side: String, Sendable, Equatable, CaseIterable {
        /// The caller's, before any attempt (the default).
        case client
        /// The destination's inbound, at every attempt.
        case server
    }

    /// `side`: where a request-level fault is applied (`.client` for other kinds).
    public let side: Side
    /// `version`: request-level faults apply only to requests routed to this version of
    /// the destination; nil for every version.
    public let version: String?

    /// Which bytes of a connection a link fault acts on (Toxiproxy's `stream`).
    public enum Direction: String, Sendable, Equatable, CaseIterable {
        /// From the caller to the destination.
        case upstream
        /// From the destination back to the caller (the default, as Toxiproxy's).
        case downstream
        /// Both ways.
        case both
    }

    /// `direction` of a link fault (`.downstream` for other kinds).
    public let direction: Direction
    /// `toxicity` of a link fault: the probability (0–1) that it acts on a given connection;
    /// 1 for other kinds.
    public let toxicity: Double
    /// `headers`: request-level faults apply only to requests with these exact header
    /// values (names in lowercase); empty for every request and for other kinds.
    public let headers: OrderedMap<String>
    /// Which matching requests it applies to (request-level kinds; `.always` for the others).
    public let trigger: FaultTrigger
    /// `duration`: the fault clears itself after this long; `nil` until cleared.
    public let duration: Duration?

    public init(
        action: Action, target: Target, side: Side = .client, version: String? = nil, headers: OrderedMap<String> = [:],
        trigger: FaultTrigger = .always, duration: Duration? = nil, direction: Direction = .downstream, toxicity: Double = 1
    ) {
        self.action = action
        self.target = target
        self.side = side
        self.version = version
        self.direction = direction
        self.toxicity = toxicity
        self.headers = headers.lowercasingKeys()
        self.trigger = trigger
        self.duration = duration
    }

    /// The fault's kind.
    public var kind: FaultKind { action.kind }

    /// Reads one fault from a YAML mapping. With `services`, every service, version and
    /// instance it names must exist; with `nil`, names are only checked for form.
    public static func parse(node: YAMLNode, file: String, services: OrderedMap<Service>?) -> Result<FaultSpec, TopologyErrors> {
        var log = DiagnosticLog(file: file)
        let fault = read(node, references: ServiceReferences(services: services), log: &log)
        if let fault, log.isEmpty { return .success(fault) }
        return .failure(log.errors)
    }

    /// Reads one fault from a YAML mapping into `log` (a scenario step's `fault:`), names
    /// checked against `services` when given; nil when it is not valid.
    public static func read(_ node: YAMLNode, services: OrderedMap<Service>?, log: inout DiagnosticLog) -> FaultSpec? {
        read(node, references: ServiceReferences(services: services), log: &log)
    }

    /// The instances a process fault acts on, in `topology.instances` order; empty for
    /// other kinds or when nothing matches.
    public func selectedInstances(in topology: Topology) -> [ServiceInstance] {
        guard case .instances(let service, let version, let instance) = target else { return [] }
        let candidates = topology.instances.filter { $0.service == service && (version == nil || $0.version == version) }
        guard let instance else { return candidates }
        if version != nil { return candidates.filter { $0.index == instance } }
        return candidates.indices.contains(instance) ? [candidates[instance]] : []
    }

    /// A one-line YAML flow mapping that parses back to this fault:
    /// `{kind: abort, to: ratings, status: 503, percent: 50}`.
    public var description: String {
        var fields: [(String, String)] = [("kind", kind.rawValue)]
        switch target {
        case .link(let from, let to):
            fields.append(("to", to))
            if let from { fields.append(("from", from)) }
            if let version { fields.append(("version", version)) }
        case .between(let a, let b):
            fields.append(("between", "[\(a), \(b)]"))
        case .instances(let service, let version, let instance):
            fields.append(("service", service))
            if let version { fields.append(("version", version)) }
            if let instance { fields.append(("instance", String(instance))) }
        }
        switch action {
        case .delay(let delay): fields.append(("delay", delay.description))
        case .abort(let status, let body, let responseHeaders):
            fields.append(("status", String(status)))
            if let body { fields.append(("body", Self.quoted(body))) }
            if !responseHeaders.isEmpty { fields.append(("responseHeaders", Self.flowMap(responseHeaders))) }
        case .latency(let latency, let jitter):
            fields.append(("latency", latency.meshbedDescription))
            if jitter != .zero { fields.append(("jitter", jitter.meshbedDescription)) }
        case .bandwidth(let rate): fields.append(("rate", rate.description))
        case .reset(let after, let timeout):
            if let after { fields.append(("after", String(after))) }
            if let timeout { fields.append(("timeout", timeout.meshbedDescription)) }
        case .blackhole(let timeout?), .partition(let timeout?): fields.append(("timeout", timeout.meshbedDescription))
        case .slowClose(let delay): fields.append(("delay", delay.meshbedDescription))
        case .slicer(let average, let variation, let delay):
            fields.append(("averageSize", String(average)))
            if variation != 0 { fields.append(("sizeVariation", String(variation))) }
            if delay != .zero { fields.append(("delay", delay.meshbedDescription)) }
        case .limitData(let bytes): fields.append(("bytes", String(bytes)))
        case .loss(let percent): fields.append(("percent", Self.number(percent)))
        case .blackhole, .partition, .kill, .pause, .resume, .restart: break
        }
        if kind.isLinkLevel {
            if direction != .downstream { fields.append(("direction", direction.rawValue)) }
            if toxicity != 1 { fields.append(("toxicity", Self.number(toxicity))) }
        }
        if !headers.isEmpty { fields.append(("headers", Self.flowMap(headers))) }
        if kind.isRequestLevel, side != .client { fields.append(("side", side.rawValue)) }
        if kind.isRequestLevel {
            switch trigger {
            case .percent(let percent) where percent != 100: fields.append(("percent", Self.number(percent)))
            case .percent: break
            case .requests(let range): fields.append(("requests", "\"\(range.lowerBound)-\(range.upperBound)\""))
            case .first(let count): fields.append(("first", String(count)))
            }
        }
        if let duration { fields.append(("duration", duration.meshbedDescription)) }
        return "{" + fields.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    private static func flowMap(_ map: OrderedMap<String>) -> String {
        "{" + map.map { "\(quoted($0.key)): \(quoted($0.value))" }.joined(separator: ", ") + "}"
    }

    /// `text` as a YAML double-quoted scalar on one line (quotes, backslashes and control
    /// characters escaped): what `description` writes, and what `meshbed fault add` builds a
    /// fault's flow form with.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"", "\\": out += "\\" + String(scalar)
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension FaultSpec {
    /// The keys a fault of `kind` may have.
    static func keys(for kind: FaultKind) -> [String] {
        var keys = ["kind"]
        switch kind {
        case .delay: keys += ["to", "from", "version", "side", "delay", "headers", "percent", "requests", "first"]
        case .abort: keys += ["to", "from", "version", "side", "status", "body", "responseHeaders", "headers", "percent", "requests", "first"]
        case .latency: keys += ["to", "from", "latency", "jitter"]
        case .bandwidth: keys += ["to", "from", "rate"]
        case .reset: keys += ["to", "from", "after", "timeout"]
        case .blackhole: keys += ["to", "from", "timeout"]
        case .slowClose: keys += ["to", "from", "delay"]
        case .slicer: keys += ["to", "from", "averageSize", "sizeVariation", "delay"]
        case .limitData: keys += ["to", "from", "bytes"]
        case .partition: keys += ["between", "from", "to", "timeout"]
        case .loss: keys += ["to", "from", "percent"]
        case .kill, .pause, .resume, .restart: keys += ["service", "version", "instance"]
        }
        if kind.isLinkLevel { keys += ["direction", "toxicity"] }
        if kind.isLasting { keys.append("duration") }
        return keys
    }

    /// Every key any fault may have.
    static let allKeys: [String] = {
        var seen: Set<String> = []
        return FaultKind.allCases.flatMap { keys(for: $0) }.filter { seen.insert($0).inserted }
    }()

    static let triggerKeys = ["percent", "requests", "first"]

    /// Reads one fault, logging every mistake; `nil` when it is not valid.
    static func read(_ node: YAMLNode, references: ServiceReferences, log: inout DiagnosticLog) -> FaultSpec? {
        guard node.pairs != nil else {
            ValueReader.fail("fault", expected: "a mapping with a 'kind'", node: node, log: &log)
            return nil
        }
        var kind: FaultKind?
        if let kindNode = node.value(for: "kind") {
            kind = ValueReader.choice(kindNode, key: "kind", as: FaultKind.self, log: &log)
        } else {
            log.error("missing key 'kind' in fault", at: node.mark)
        }
        let allowed = kind.map { keys(for: $0) } ?? allKeys
        let context = kind.map { "in \($0.rawValue) fault" } ?? "in fault"
        let fields = MappingReader(node, key: "fault", context: context, allowed: allowed, log: &log) { key in
            guard let kind, allKeys.contains(key) else { return nil }
            let article = "aeiou".contains(kind.rawValue.first ?? "x") ? "an" : "a"
            return "key '\(key)' does not apply to \(article) \(kind.rawValue) fault"
        }
        guard let kind, let fields else { return nil }
        var reader = FaultFieldReader(fields: fields, kind: kind, references: references)
        return reader.read(log: &log)
    }
}
