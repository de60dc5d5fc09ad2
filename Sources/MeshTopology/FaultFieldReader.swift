import MeshCore
import MeshYAML

/// Reads the fields of one fault once its kind is known (internal: `FaultSpec.read` checks the kind and the keys first).
struct FaultFieldReader {
    let fields: MappingReader
    let kind: FaultKind
    let references: ServiceReferences
    var valid = true

    init(fields: MappingReader, kind: FaultKind, references: ServiceReferences) {
        self.fields = fields
        self.kind = kind
        self.references = references
    }

    mutating func read(log: inout DiagnosticLog) -> FaultSpec? {
        let target = readTarget(log: &log)
        let action = readAction(log: &log)
        var headers = OrderedMap<String>()
        if let value = fields["headers"] {
            if let read = RouteMatch.readHeaders(value, log: &log) { headers = read } else { valid = false }
        }
        // `percent` of a loss fault is its rate, not a trigger.
        let trigger = kind == .loss ? FaultTrigger.always : readTrigger(log: &log)
        var side = FaultSpec.Side.client
        if let value = fields["side"] {
            if let read = ValueReader.choice(value, key: "side", as: FaultSpec.Side.self, log: &log) { side = read } else { valid = false }
        }
        var version: String?
        if kind.isRequestLevel, let value = fields["version"] {
            version = ValueReader.string(value, key: "version", expected: "a version name", log: &log)
            if let name = version, case .link(_, let to)? = target {
                if !references.checkVersion(name, of: to, key: "version", node: value, log: &log) { valid = false }
            } else {
                valid = false
            }
        }
        var duration: Duration?
        if let value = fields["duration"] {
            duration = ValueReader.duration(value, key: "duration", minimum: .nanoseconds(1), log: &log)
            if duration == nil { valid = false }
        }
        var direction = FaultSpec.Direction.downstream
        var toxicity = 1.0
        if kind.isLinkLevel {
            if let value = fields["direction"] {
                if let read = ValueReader.choice(value, key: "direction", as: FaultSpec.Direction.self, log: &log) { direction = read } else { valid = false }
            }
            if let value = fields["toxicity"] {
                if let read = value.double, read >= 0, read <= 1 {
                    toxicity = read
                } else {
                    ValueReader.fail("toxicity", expected: "a probability from 0 to 1 (per connection)", node: value, log: &log)
                    valid = false
                }
            }
        }
        guard valid, let target, let action else { return nil }
        return FaultSpec(action: action, target: target, side: side, version: version, headers: headers, trigger: trigger, duration: duration,
                         direction: direction, toxicity: toxicity)
    }

    /// A name read from `key`, checked against the services.
    private mutating func service(_ key: String, allowIngress: Bool, log: inout DiagnosticLog) -> (name: String, node: YAMLNode)? {
        guard let node = fields[key] else { return nil }
        guard let name = ValueReader.string(node, key: key, expected: "a service name", log: &log) else {
            valid = false
            return nil
        }
        if !references.checkService(name, key: key, node: node, allowIngress: allowIngress, log: &log) { valid = false }
        return (name, node)
    }

    private mutating func readTarget(log: inout DiagnosticLog) -> FaultSpec.Target? {
        if kind.isProcessLevel { return readInstances(log: &log) }
        if kind == .partition, let between = fields["between"] {
            for key in ["from", "to"] {
                if let keyNode = fields.keyNode(key) {
                    log.error("key '\(key)' cannot be combined with 'between' (a partition is one or the other)", at: keyNode.mark)
                    valid = false
                }
            }
            return readBetween(between, log: &log)
        }
        if kind == .partition, fields["from"] == nil, fields["to"] == nil {
            log.error("missing key 'between' (or 'to', with 'from' for one caller) in partition fault", at: fields.node.mark)
            valid = false
            return nil
        }
        if fields["to"] == nil {
            _ = fields.required("to", log: &log)
            valid = false
        }
        let to = service("to", allowIngress: false, log: &log)
        let from = service("from", allowIngress: true, log: &log)
        if let to, let from, to.name == from.name {
            log.error("from: '\(from.name)' is also the destination ('to')", at: from.node.mark)
            valid = false
        }
        guard let to else { return nil }
        return .link(from: from?.name, to: to.name)
    }

    private mutating func readBetween(_ node: YAMLNode, log: inout DiagnosticLog) -> FaultSpec.Target? {
        let expected = "a list of two service names"
        guard let items = node.items, items.count == 2 else {
            ValueReader.fail("between", expected: expected, node: node, log: &log)
            valid = false
            return nil
        }
        var names: [String] = []
        for item in items {
            guard let name = ValueReader.string(item, key: "between", expected: "a service name", log: &log) else {
                valid = false
                continue
            }
            if !references.checkService(name, key: "between", node: item, allowIngress: true, log: &log) { valid = false }
            names.append(name)
        }
        guard names.count == 2 else { return nil }
        if names[0] == names[1] {
            log.error("between: a partition needs two different services", at: items[1].mark)
            valid = false
            return nil
        }
        return .between(names[0], names[1])
    }

    private mutating func readInstances(log: inout DiagnosticLog) -> FaultSpec.Target? {
        guard fields.required("service", log: &log) != nil else {
            valid = false
            return nil
        }
        let service = service("service", allowIngress: false, log: &log)
        var version: String?
        if let node = fields["version"] {
            version = ValueReader.string(node, key: "version", expected: "a version name", log: &log)
            if let name = version, let service {
                if !references.checkVersion(name, of: service.name, key: "version", node: node, log: &log) { valid = false }
            } else {
                valid = false
            }
        }
        var instance: Int?
        if let node = fields["instance"] {
            instance = ValueReader.integer(node, key: "instance", in: 0...Int.max, expected: "an instance index ≥ 0", log: &log)
            if let index = instance, let known = service.flatMap({ references[$0.name] }) {
                let count: Int
                let owner: String
                if let version, let subset = known.versions[version] {
                    (count, owner) = (subset.replicas, "version '\(version)' of service '\(known.name)'")
                } else if version == nil {
                    (count, owner) = (known.instanceCount, "service '\(known.name)'")
                } else {
                    (count, owner) = (Int.max, "")
                }
                if index >= count {
                    let range = count == 1 ? "0" : "0–\(count - 1)"
                    let noun = count == 1 ? "instance" : "instances"
                    ValueReader.fail("instance", expected: "an instance index \(range) (\(owner) has \(count) \(noun))", node: node, log: &log)
                    valid = false
                }
            } else if instance == nil {
                valid = false
            }
        }
        guard let service else { return nil }
        return .instances(service: service.name, version: version, instance: instance)
    }

    private mutating func readAction(log: inout DiagnosticLog) -> FaultSpec.Action? {
        switch kind {
        case .delay:
            guard let node = fields.required("delay", log: &log), let delay = DelayDistribution.read(node, log: &log) else { return fail() }
            return .delay(delay)
        case .abort:
            var body: String?
            if let node = fields["body"] {
                guard let text = ValueReader.string(node, key: "body", expected: "a string (the response body)", log: &log) else { return fail() }
                guard text.utf8.count <= Self.maximumBodyBytes else {
                    ValueReader.fail("body", expected: "a body of at most \(Self.maximumBodyBytes) bytes", node: node, log: &log)
                    return fail()
                }
                body = text
            }
            var responseHeaders = OrderedMap<String>()
            if let node = fields["responseHeaders"] {
                guard let read = Self.responseHeaders(node, log: &log) else { return fail() }
                responseHeaders = read
            }
            guard let node = fields.required("status", log: &log),
                  let status = ValueReader.integer(node, key: "status", in: 200...599, expected: "an HTTP status 200–599", log: &log)
            else { return fail() }
            return .abort(status: status, body: body, responseHeaders: responseHeaders)
        case .latency:
            guard let node = fields.required("latency", log: &log),
                  let latency = ValueReader.duration(node, key: "latency", minimum: .nanoseconds(1), log: &log)
            else {
                if let jitter = fields["jitter"] { _ = ValueReader.duration(jitter, key: "jitter", log: &log) }
                return fail()
            }
            var jitter = Duration.zero
            if let node = fields["jitter"] {
                guard let read = ValueReader.duration(node, key: "jitter", log: &log) else { return fail() }
                guard read <= latency else {
                    ValueReader.fail("jitter", expected: "a duration of at most the latency (\(latency.meshbedDescription))", node: node, log: &log)
                    return fail()
                }
                jitter = read
            }
            return .latency(latency, jitter: jitter)
        case .bandwidth:
            guard let node = fields.required("rate", log: &log) else { return fail() }
            guard let text = node.scalarText, !node.isNull, let rate = BandwidthRate(text) else {
                ValueReader.fail("rate", expected: "a rate like 64KB/s, 1.5MB/s or 512B/s", node: node, log: &log)
                return fail()
            }
            return .bandwidth(rate)
        case .reset:
            var after: Int?
            if let node = fields["after"] {
                guard let read = ValueReader.integer(node, key: "after", in: 0...Int.max, expected: "a byte count ≥ 0", log: &log) else { return fail() }
                after = read
            }
            guard let timeout = readTimeout(log: &log) else { return fail() }
            return .reset(afterBytes: after, timeout: timeout)
        case .blackhole:
            guard let timeout = readTimeout(log: &log) else { return fail() }
            return .blackhole(timeout: timeout)
        case .slowClose:
            guard let node = fields.required("delay", log: &log),
                  let delay = ValueReader.duration(node, key: "delay", minimum: .nanoseconds(1), log: &log)
            else { return fail() }
            return .slowClose(delay)
        case .slicer:
            guard let node = fields.required("averageSize", log: &log),
                  let average = ValueReader.integer(node, key: "averageSize", in: 1...Int(Int32.max), expected: "a byte count ≥ 1", log: &log)
            else { return fail() }
            var variation = 0
            if let node = fields["sizeVariation"] {
                guard let read = ValueReader.integer(node, key: "sizeVariation", in: 0...Int(Int32.max), expected: "a byte count ≥ 0", log: &log) else { return fail() }
                guard read < average else {
                    ValueReader.fail("sizeVariation", expected: "a byte count below averageSize (\(average))", node: node, log: &log)
                    return fail()
                }
                variation = read
            }
            var delay = Duration.zero
            if let node = fields["delay"] {
                guard let read = ValueReader.duration(node, key: "delay", log: &log) else { return fail() }
                delay = read
            }
            return .slicer(averageSize: average, sizeVariation: variation, delay: delay)
        case .limitData:
            guard let node = fields.required("bytes", log: &log),
                  let bytes = ValueReader.integer(node, key: "bytes", in: 0...Int.max, expected: "a byte count ≥ 0", log: &log)
            else { return fail() }
            return .limitData(bytes: bytes)
        case .partition:
            guard let timeout = readTimeout(log: &log) else { return fail() }
            return .partition(timeout: timeout)
        case .loss:
            guard let node = fields.required("percent", log: &log) else { return fail() }
            guard let percent = node.double, percent > 0, percent <= 100 else {
                ValueReader.fail("percent", expected: "a percentage of packets above 0, at most 100", node: node, log: &log)
                return fail()
            }
            return .loss(percent: percent)
        case .kill: return .kill
        case .pause: return .pause
        case .resume: return .resume
        case .restart: return .restart
        }
    }

    /// `timeout` (reset, blackhole, partition; 0s: at once): `.some(nil)` when absent, nil when invalid.
    private func readTimeout(log: inout DiagnosticLog) -> Duration?? {
        guard let node = fields["timeout"] else { return .some(nil) }
        guard let timeout = ValueReader.duration(node, key: "timeout", log: &log) else { return nil }
        return .some(timeout)
    }

    /// The longest `body` an abort may carry.
    static let maximumBodyBytes = 64 * 1024

    /// Headers a proxy sets itself (framing, connection management, meshbed's own): an
    /// abort's `responseHeaders` may not name them.
    static let reservedResponseHeaders: Set<String> = [
        "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer",
        "x-meshbed-proxy", "x-meshbed-explain",
    ]

    /// `responseHeaders:`: names are HTTP tokens (lower-cased), values visible ASCII or
    /// spaces and tabs, never a header the proxy sets itself.
    static func responseHeaders(_ node: YAMLNode, log: inout DiagnosticLog) -> OrderedMap<String>? {
        var valid = true
        let map = ValueReader.stringMap(node, key: "responseHeaders", log: &log) { name in
            let lower = name.lowercased()
            if name.isEmpty || !name.utf8.allSatisfy(Self.isTokenByte) {
                return "responseHeaders: '\(name)' is not a valid header name"
            }
            if reservedResponseHeaders.contains(lower) {
                return "responseHeaders: '\(lower)' is set by the proxy itself and cannot be injected"
            }
            return nil
        }
        guard let map else { return nil }
        for (name, value) in map where !value.utf8.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) {
            log.error("responseHeaders: the value of '\(name)' has a control character", at: node.mark)
            valid = false
        }
        return valid ? map.lowercasingKeys() : nil
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): true
        default: false
        }
    }

    private mutating func fail() -> FaultSpec.Action? {
        valid = false
        return nil
    }

    private mutating func readTrigger(log: inout DiagnosticLog) -> FaultTrigger {
        let present = FaultSpec.triggerKeys.filter { fields[$0] != nil }
        for extra in present.dropFirst() {
            if let keyNode = fields.keyNode(extra) {
                log.error("key '\(extra)' cannot be combined with '\(present[0])' (a fault has one trigger)", at: keyNode.mark)
            }
            valid = false
        }
        guard let key = present.first, let node = fields[key] else { return .always }
        switch key {
        case "percent":
            if let percent = ValueReader.percent(node, key: "percent", log: &log) { return .percent(percent) }
        case "first":
            if let count = ValueReader.integer(node, key: "first", in: 1...Int.max, expected: "an integer ≥ 1", log: &log) { return .first(count) }
        default:
            if let range = Self.requestRange(node) { return .requests(range) }
            ValueReader.fail("requests", expected: "a range of request numbers like \"3-5\" (from 1, first ≤ last)", node: node, log: &log)
        }
        valid = false
        return .always
    }

    /// `"3-5"` (or a single number `4`): 1-based, first ≤ last.
    static func requestRange(_ node: YAMLNode) -> ClosedRange<Int>? {
        if let single = node.int { return single >= 1 ? single...single : nil }
        guard let text = node.scalarText, !node.isNull else { return nil }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2,
              parts.allSatisfy({ !$0.isEmpty && $0.count <= 18 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let first = Int(parts[0]), let last = Int(parts[1]), first >= 1, first <= last
        else { return nil }
        return first...last
    }
}
