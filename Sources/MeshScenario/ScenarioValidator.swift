import MeshConfig
import MeshControl
import MeshCore
import MeshMetrics
import MeshTopology
import MeshYAML

/// Reads a whole scenario document with the topology readers' conventions: every mistake
/// logged as `FILE:LINE:COLUMN: message`, "did you mean" for misspelt keys, and the
/// references (services, versions, instances) checked against the scenario's topology.
enum ScenarioValidator {
    static let keys = ["kind", "name", "topology", "seed", "runtimes", "steps"]
    static let trafficKeys = ["to", "from", "requests", "duration", "rate", "concurrency", "path", "method", "headers", "body", "timeout"]
    static let selectorKeys = ["service", "version", "instance"]

    static func read(
        _ document: YAMLNode, file: String, log: inout DiagnosticLog, topologyErrors: inout [Diagnostic],
        loadTopology: (String) -> Result<Topology, TopologyErrors>
    ) -> Scenario? {
        guard document.pairs != nil else {
            ValueReader.fail("scenario", expected: "a mapping that starts with 'kind: Scenario'", node: document, log: &log)
            return nil
        }
        if let kindNode = document.value(for: "kind") {
            guard kindNode.scalarText == Scenario.kind, !kindNode.isNull else {
                ValueReader.fail("kind", expected: "'\(Scenario.kind)'", node: kindNode, log: &log)
                return nil
            }
        } else {
            log.error("missing key 'kind' at top level", at: document.mark)
        }
        guard let fields = MappingReader(document, key: "scenario", context: "at top level", allowed: keys, log: &log) else { return nil }
        let name = fields.required("name", log: &log).flatMap { ValueReader.name($0, key: "name", log: &log) }
        var seed: UInt64?
        if let node = fields["seed"] {
            if let text = node.scalarText, !node.isNull, let value = UInt64(text) {
                seed = value
            } else {
                ValueReader.fail("seed", expected: "an unsigned integer", node: node, log: &log)
            }
        }
        var runtimes: [String]?
        if let node = fields["runtimes"],
           let items = ValueReader.list(node, key: "runtimes", expected: "a list of runtimes (process, netns, container)", log: &log) {
            var names: [String] = []
            for item in items {
                guard let text = item.scalarText, !item.isNull, Scenario.runtimeNames.contains(text) else {
                    ValueReader.fail("runtimes", expected: "process, netns or container", node: item, log: &log)
                    continue
                }
                if names.contains(text) { log.error("runtimes: '\(text)' is listed twice", at: item.mark) } else { names.append(text) }
            }
            if items.isEmpty { log.error("runtimes: expected at least one runtime", at: node.mark) }
            runtimes = names
        }
        var topologyFile: String?
        var topology: CheckedTopology?
        if let node = fields.required("topology", log: &log), let path = ValueReader.string(node, key: "topology", expected: "a path to a topology file", log: &log) {
            let resolved = Scenario.resolve(path, relativeTo: file)
            topologyFile = resolved
            switch loadTopology(resolved) {
            case .success(let loaded): topology = CheckedTopology(loaded)
            case .failure(let errors):
                // An unreadable file is the scenario's mistake (at its key); an invalid one the topology's.
                if errors.diagnostics.count == 1, let only = errors.diagnostics.first, only.line == 1, only.column == 1,
                   only.message.hasPrefix("cannot read") || only.message == "not UTF-8 text" {
                    log.error("topology: cannot read '\(path)' (\(resolved)): \(only.message.replacingPrefix("cannot read: "))", at: node.mark)
                } else {
                    topologyErrors += errors.diagnostics
                }
            }
        }
        var steps: [ScenarioStep] = []
        if let node = fields.required("steps", log: &log),
           let items = ValueReader.list(node, key: "steps", expected: "a list of steps", log: &log) {
            if items.isEmpty { log.error("steps: expected at least one step", at: node.mark) }
            for (offset, item) in items.enumerated() {
                if let step = readStep(item, number: offset + 1, topology: topology, log: &log) { steps.append(step) }
            }
        }
        // Packet loss needs each instance on a network of its own: a scenario with it says so.
        let lossStep = steps.firstIndex(where: \.losesPackets)
        if runtimes?.contains("process") != false, lossStep != nil || topology?.topology.faults.contains(where: { $0.kind == .loss }) == true {
            let at = lossStep.map { "step \($0 + 1)" } ?? "its topology"
            log.error("\(at): kind loss drops packets, which only --runtime netns or container gives each instance; add 'runtimes: [netns, container]' to the scenario",
                      at: fields.keyNode("runtimes")?.mark ?? document.mark)
        }
        guard let name, let topologyFile, let topology, log.isEmpty, topologyErrors.isEmpty else { return nil }
        return Scenario(name: name, file: file, topologyFile: topologyFile, topology: topology.topology, seed: seed, runtimes: runtimes,
                        steps: steps)
    }

    /// One step: at most one action key, an optional `name` and an optional `expect`.
    static func readStep(_ node: YAMLNode, number: Int, topology: CheckedTopology?, log: inout DiagnosticLog) -> ScenarioStep? {
        let context = "in step \(number)"
        guard let fields = MappingReader(node, key: "step \(number)", context: context, allowed: ["name"] + StepAction.keys + ["expect"], log: &log)
        else { return nil }
        let name = fields["name"].flatMap { ValueReader.string($0, key: "name", log: &log) } ?? "step \(number)"
        let written = StepAction.keys.filter { fields[$0] != nil }
        if written.count > 1, let second = fields.keyNode(written[1]) {
            log.error("step \(number): a step has one action, found '\(written[0])' and '\(written[1])'", at: second.mark)
            return nil
        }
        let action: StepAction?
        if let key = written.first, let value = fields[key], let keyNode = fields.keyNode(key) {
            if let message = StepAction.notSupportedYet[key] {
                log.error("\(key): \(message)", at: keyNode.mark)
                return nil
            }
            action = readAction(key, value, topology: topology, log: &log)
        } else if fields["expect"] != nil {
            action = .check
        } else {
            log.error("step \(number): expected one of \(StepAction.keys.joined(separator: ", ")) or expect", at: node.mark)
            return nil
        }
        var expectations: [Expectation] = []
        var within: Duration?
        if let expect = fields["expect"] {
            // Read even when the action is wrong, so that every mistake is reported at once.
            let keyword = action?.keyword ?? written.first ?? "expect"
            // The service whose versions a split names: the traffic's destination, as written.
            let destination = written.first == "traffic" ? fields["traffic"]?.value(for: "to")?.scalarText : nil
            (expectations, within) = readExpect(expect, keyword: keyword, destination: destination, topology: topology, log: &log)
        }
        guard let action else { return nil }
        return ScenarioStep(name: name, action: action, expectations: expectations, within: within, line: node.mark.line)
    }

    static func readAction(_ key: String, _ node: YAMLNode, topology: CheckedTopology?, log: inout DiagnosticLog) -> StepAction? {
        switch key {
        case "traffic": return readTraffic(node, topology: topology, log: &log).map(StepAction.traffic)
        case "kill": return readSelector(node, key: key, topology: topology, log: &log).map(StepAction.kill)
        case "restart": return readSelector(node, key: key, topology: topology, log: &log).map(StepAction.restart)
        case "pause": return readSelector(node, key: key, topology: topology, log: &log).map(StepAction.pause)
        case "resume": return readSelector(node, key: key, topology: topology, log: &log).map(StepAction.resume)
        case "heal":
            guard node.scalarText == "all", !node.isNull else {
                ValueReader.fail("heal", expected: "'all'", node: node, log: &log)
                return nil
            }
            return .heal
        case "fault": return readFault(node, topology: topology, log: &log)
        case "wait": return ValueReader.duration(node, key: "wait", minimum: .nanoseconds(1), log: &log).map(StepAction.wait)
        case "route": return readRoute(node, topology: topology, log: &log).map(StepAction.route)
        case "mtls":
            guard let mode = ValueReader.choice(node, key: "mtls", as: MTLSConfig.Mode.self, log: &log) else { return nil }
            if topology?.mesh.mtls == .disabled {
                log.error("mtls: the topology runs with mtls 'disabled' (no certificates), so the mode cannot change while it runs", at: node.mark)
                return nil
            }
            return .mtls(mode)
        default: return nil
        }
    }

    /// `fault:` a fault in the topology's form (SPEC §6). A process kind becomes its process
    /// step; a kind the sidecars do not enforce yet is refused, as in `faults:`.
    static func readFault(_ node: YAMLNode, topology: CheckedTopology?, log: inout DiagnosticLog) -> StepAction? {
        guard let spec = FaultSpec.read(node, services: topology?.services, log: &log) else { return nil }
        if case .instances(let service, let version, let instance) = spec.target {
            if spec.duration != nil, let key = node.pairs?.first(where: { $0.key.scalarText == "duration" })?.key {
                log.error("duration: on a \(spec.kind.rawValue) fault is not supported yet (resume or restart in a later step)", at: key.mark)
                return nil
            }
            var selector = InstanceSelector(service: service, version: version, instance: instance)
            // Without a version, `instance` counts over all of the service's instances.
            if version == nil, instance != nil, let topology, let chosen = spec.selectedInstances(in: topology.topology).first {
                selector = InstanceSelector(service: service, version: chosen.version, instance: chosen.index)
            }
            switch spec.action {
            case .kill: return .kill(selector)
            case .pause: return .pause(selector)
            case .resume: return .resume(selector)
            default: return .restart(selector)
            }
        }
        if let refusal = UnsupportedFeatures.faultRefusal(spec.kind), let kind = node.value(for: "kind") {
            log.error(refusal, at: kind.mark)
            return nil
        }
        return .fault(spec)
    }

    static func readTraffic(_ node: YAMLNode, topology: CheckedTopology?, log: inout DiagnosticLog) -> TrafficSpec? {
        guard let fields = MappingReader(node, key: "traffic", context: "in traffic", allowed: trafficKeys, log: &log) else { return nil }
        var valid = true
        var to = ""
        if let node = fields.required("to", log: &log), let name = ValueReader.string(node, key: "to", expected: "a service name", log: &log) {
            to = name
            valid = checkService(name, key: "to", node: node, topology: topology, log: &log) && valid
        } else {
            valid = false
        }
        var spec = TrafficSpec(to: to)
        if let node = fields["from"] {
            if let name = ValueReader.string(node, key: "from", expected: "a service name, 'ingress' or 'outside'", log: &log) {
                if name == TrafficSpec.outside {
                    spec.from = name
                    if topology?.services[name] != nil {
                        log.error("from: 'outside' means a client outside the mesh, and the topology also has a service named 'outside'; rename the service", at: node.mark)
                        valid = false
                    }
                } else if name != "ingress" {
                    spec.from = name
                    valid = checkService(name, key: "from", node: node, topology: topology, allowIngress: true, log: &log) && valid
                }
            } else {
                valid = false
            }
        }
        if let node = fields["requests"] {
            spec.requests = ValueReader.integer(node, key: "requests", in: 1...10_000_000, expected: "a number of requests from 1", log: &log)
            valid = valid && spec.requests != nil
        }
        if let node = fields["duration"] {
            let duration = ValueReader.duration(node, key: "duration", minimum: .nanoseconds(1), log: &log)
            spec.duration = duration.map { UInt64($0.meshbedNanoseconds) }
            valid = valid && duration != nil
            if spec.requests != nil, let key = fields.keyNode("duration") {
                log.error("traffic: 'requests' and 'duration' exclude each other", at: key.mark)
                valid = false
            }
        }
        if let node = fields["rate"] {
            if let value = node.double, value >= 0.01, value <= 1_000_000 {
                spec.rate = value
            } else {
                ValueReader.fail("rate", expected: "requests per second, from 0.01 to 1000000", node: node, log: &log)
                valid = false
            }
        }
        if let node = fields["concurrency"] {
            if let value = ValueReader.integer(node, key: "concurrency", in: 1...10_000, expected: "a number of connections from 1", log: &log) {
                spec.concurrency = value
            } else {
                valid = false
            }
        }
        if let node = fields["path"] {
            if let text = node.scalarText, !node.isNull, text.hasPrefix("/"), text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
                spec.path = text
            } else {
                ValueReader.fail("path", expected: "a path starting with '/' without spaces", node: node, log: &log)
                valid = false
            }
        }
        if let node = fields["method"] {
            if let text = node.scalarText, !node.isNull, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) {
                spec.method = text
            } else {
                ValueReader.fail("method", expected: "an upper-case method such as GET or POST", node: node, log: &log)
                valid = false
            }
        }
        if let node = fields["headers"] {
            let isToken: (UInt8) -> Bool = { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
            }
            if let map = ValueReader.stringMap(node, key: "headers", log: &log, invalidKey: { name in
                name.utf8.allSatisfy(isToken) && !name.isEmpty ? nil : "headers: '\(name)' is not a valid header name"
            }) {
                spec.headers = map.map { (name: $0.key, value: $0.value) }
            } else {
                valid = false
            }
        }
        if let node = fields["timeout"] {
            if let timeout = ValueReader.duration(node, key: "timeout", minimum: .nanoseconds(1), log: &log) {
                spec.timeout = UInt64(timeout.meshbedNanoseconds)
            } else {
                valid = false
            }
        }
        if let node = fields["body"] {
            if let text = ValueReader.string(node, key: "body", log: &log) { spec.body = text } else { valid = false }
        }
        return valid ? spec : nil
    }

    /// `{to: S, split: {...}}` (one route for every request) or `{to: S, routes: [...]}`
    /// (routes as the topology file writes them, checked against its versions).
    static func readRoute(_ node: YAMLNode, topology: CheckedTopology?, log: inout DiagnosticLog) -> RouteChange? {
        guard let fields = MappingReader(node, key: "route", context: "in route", allowed: RouteChange.keys, log: &log) else { return nil }
        guard let toNode = fields.required("to", log: &log),
              let to = ValueReader.string(toNode, key: "to", expected: "a service name", log: &log)
        else { return nil }
        let known = checkService(to, key: "to", node: toNode, topology: topology, log: &log)
        switch (fields.keyNode("split"), fields.keyNode("routes")) {
        case (nil, nil):
            log.error("route: expected 'split' (one route for every request) or 'routes' (a list of routes)", at: node.mark)
            return nil
        case (.some, .some(let second)):
            log.error("route: 'split' and 'routes' exclude each other ('split' is short for one route for every request)", at: second.mark)
            return nil
        default: break
        }
        // Without the topology (it did not load) the routes cannot be checked: its errors are reported instead.
        guard known, let topology, let service = topology.services[to] else { return nil }
        if let key = fields.keyNode("split"), let value = fields["split"] {
            guard let split = Route.readSplit(value, key: key, destination: to, in: topology.topology, log: &log) else { return nil }
            return RouteChange(to: to, routes: [RouteConfig(Route(split: split), of: service)], description: describe(split))
        }
        guard let value = fields["routes"], let routes = Route.readList(value, destination: to, in: topology.topology, log: &log) else {
            return nil
        }
        let description: String
        if routes.count == 1, let only = routes.first, only.match.matchesEverything, let split = only.split {
            description = describe(split)
        } else {
            description = routes.isEmpty ? "no routes (every instance)" : "\(routes.count) route\(routes.count == 1 ? "" : "s")"
        }
        return RouteChange(to: to, routes: routes.map { RouteConfig($0, of: service) }, description: description)
    }

    /// `split v1 50, v2 50`.
    static func describe(_ split: OrderedMap<Int>) -> String {
        "split " + split.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    /// `{service: S, version: V, instance: N}`, or just `S`.
    static func readSelector(_ node: YAMLNode, key: String, topology: CheckedTopology?, log: inout DiagnosticLog) -> InstanceSelector? {
        if let text = node.scalarText, !node.isNull {
            guard checkService(text, key: key, node: node, topology: topology, log: &log) else { return nil }
            return InstanceSelector(service: text)
        }
        guard let fields = MappingReader(node, key: key, context: "in \(key)", allowed: selectorKeys, log: &log) else { return nil }
        guard let serviceNode = fields.required("service", log: &log),
              let service = ValueReader.string(serviceNode, key: "service", expected: "a service name", log: &log)
        else { return nil }
        var valid = checkService(service, key: "service", node: serviceNode, topology: topology, log: &log)
        var selector = InstanceSelector(service: service)
        if let node = fields["version"] {
            if let version = ValueReader.string(node, key: "version", expected: "a version name", log: &log) {
                selector.version = version
                if valid, let known = topology?.services[service], known.versions[version] == nil {
                    let names = known.versions.keys
                    log.error("version: unknown version '\(version)' of service '\(service)' (versions: \(names.joined(separator: ", ")))\(Suggestion.hint(for: version, among: names))", at: node.mark)
                    valid = false
                }
            } else {
                valid = false
            }
        }
        if let node = fields["instance"] {
            if let index = ValueReader.integer(node, key: "instance", in: 0...100_000, expected: "an instance index from 0", log: &log) {
                selector.instance = index
                if valid, let topology {
                    let count = topology.instances.filter { selector.matches(service: $0.service, version: $0.version, index: $0.index) }.count
                    if count == 0 {
                        let owner = InstanceSelector(service: service, version: selector.version)
                        log.error("instance: \(owner) has no instance \(index) (indexes start at 0 within each version)", at: node.mark)
                        valid = false
                    }
                }
            } else {
                valid = false
            }
        }
        return valid ? selector : nil
    }

    static func readExpect(
        _ node: YAMLNode, keyword: String, destination: String? = nil, topology: CheckedTopology?, log: inout DiagnosticLog
    ) -> ([Expectation], Duration?) {
        guard let fields = MappingReader(node, key: "expect", context: "in expect", allowed: Expectation.keys, log: &log, misplaced: { key in
            Expectation.notSupportedYet[key].map { "\(key): \($0)" }
        }) else { return ([], nil) }
        var expectations: [Expectation] = []
        let isTraffic = keyword == "traffic"
        for key in Expectation.trafficKeys where !isTraffic {
            if let keyNode = fields.keyNode(key) {
                log.error("\(key): needs a traffic step to measure (this step is '\(keyword)')", at: keyNode.mark)
            }
        }
        if isTraffic {
            if let node = fields["successRate"], let comparison = comparison(node, key: "successRate", units: [.percent], example: "'>= 99%'", log: &log) {
                expectations.append(.successRate(comparison))
            }
            if let node = fields["status"], let entries = ValueReader.entries(node, key: "status", expected: "a mapping of status codes to comparisons", log: &log) {
                for (code, pair) in entries {
                    guard let value = Int(code), (100...599).contains(value) else {
                        ValueReader.fail("status", expected: "a status code 100–599", node: pair.key, log: &log)
                        continue
                    }
                    if let comparison = comparison(pair.value, key: "status \(code)", units: [.count, .percent], example: "'== 0' or '>= 90%'", log: &log) {
                        expectations.append(.status(code: value, comparison))
                    }
                }
            }
            var tolerance = 3.0
            if let node = fields["tolerance"] {
                if let value = ValueReader.percent(node, key: "tolerance", log: &log) { tolerance = value }
                if fields["split"] == nil, let keyNode = fields.keyNode("tolerance") {
                    log.error("tolerance: goes with split", at: keyNode.mark)
                }
            }
            if let node = fields["split"], let entries = ValueReader.entries(node, key: "split", expected: "a mapping of versions to percentages", log: &log) {
                var shares: [(version: String, percent: Double)] = []
                let service = destination.flatMap { topology?.services[$0] }
                for (version, pair) in entries {
                    if let service, !service.versions.contains(version), version != ServiceVersion.noVersion {
                        let names = service.versions.keys
                        let hint = Suggestion.hint(for: version, among: names + [ServiceVersion.noVersion])
                        log.error("split: unknown version '\(version)' of service '\(service.name)' (versions: \(names.joined(separator: ", ")))\(hint)", at: pair.key.mark)
                    }
                    if let value = ValueReader.percent(pair.value, key: version, log: &log) { shares.append((version, value)) }
                }
                let total = shares.map(\.percent).reduce(0, +)
                if !shares.isEmpty, shares.count == entries.count, abs(total - 100) > 0.001 {
                    log.error("split: the shares add up to \(Comparison.number(total)), expected 100", at: node.mark)
                } else if entries.isEmpty {
                    log.error("split: expected at least one version", at: node.mark)
                } else if shares.count == entries.count {
                    expectations.append(.split(shares: shares, tolerance: tolerance))
                }
            }
            if let node = fields["latency"], let entries = ValueReader.entries(node, key: "latency", expected: "a mapping of percentiles to comparisons", log: &log) {
                let names = Expectation.percentiles.map(\.name)
                for (name, pair) in entries {
                    guard names.contains(name) else {
                        log.error("latency: unknown percentile '\(name)' (known: \(names.joined(separator: ", ")))\(Suggestion.hint(for: name, among: names))", at: pair.key.mark)
                        continue
                    }
                    if let comparison = comparison(pair.value, key: "latency \(name)", units: [.duration], example: "'< 300ms'", log: &log) {
                        expectations.append(.latency(percentile: name, comparison))
                    }
                }
            }
        }
        if isTraffic, let node = fields["attempts"] {
            let example = "'<= 3'"
            if node.scalarText != nil, !node.isNull {
                if let comparison = comparison(node, key: "attempts", units: [.count], example: example, log: &log) {
                    expectations.append(.attempts(statistic: "max", comparison))
                }
            } else if let entries = ValueReader.entries(node, key: "attempts", expected: "a comparison like \(example) or a mapping of max, mean to comparisons", log: &log) {
                let names = Expectation.attemptStatistics
                for (name, pair) in entries {
                    guard names.contains(name) else {
                        log.error("attempts: unknown statistic '\(name)' (known: \(names.joined(separator: ", ")))\(Suggestion.hint(for: name, among: names))", at: pair.key.mark)
                        continue
                    }
                    if let comparison = comparison(pair.value, key: "attempts \(name)", units: [.count], example: "'< 1.5'", log: &log) {
                        expectations.append(.attempts(statistic: name, comparison))
                    }
                }
            }
        }
        expectations += readCounters(fields, keyword: keyword, topology: topology, log: &log)
        expectations += readMetrics(fields, keyword: keyword, log: &log)
        if let node = fields["ready"], let selector = readSelector(node, key: "ready", topology: topology, log: &log) {
            expectations.append(.ready(selector))
        }
        if let node = fields["notReady"], let selector = readSelector(node, key: "notReady", topology: topology, log: &log) {
            expectations.append(.notReady(selector))
        }
        if let node = fields["routed"], let selector = readSelector(node, key: "routed", topology: topology, log: &log) {
            expectations.append(.routed(selector))
        }
        if let node = fields["notRouted"], let selector = readSelector(node, key: "notRouted", topology: topology, log: &log) {
            expectations.append(.notRouted(selector))
        }
        if let node = fields["instancesReady"], let comparison = comparison(node, key: "instancesReady", units: [.count], example: "'== 5'", log: &log) {
            expectations.append(.instancesReady(comparison))
        }
        var within: Duration?
        if let node = fields["within"] {
            within = ValueReader.duration(node, key: "within", minimum: .nanoseconds(1), log: &log)
            let polled = Expectation.stateKeys + Expectation.counterKeys + ["counters", "metric", "promql", "metrics"]
            if !polled.contains(where: { fields[$0] != nil }), let keyNode = fields.keyNode("within") {
                log.error("within: goes with ready, notReady, instancesReady, routed, notRouted, counters or metrics (mesh state is polled; traffic is measured once)", at: keyNode.mark)
            }
        }
        if fields.node.pairs?.isEmpty ?? true, keyword == "expect" {
            log.error("expect: expected at least one expectation", at: node.mark)
        }
        return (expectations, within)
    }

    /// `retries: "> 0"` (and the other `counterKeys`) and `counters: {NAME: "> 0", ..., of: SCOPE}`,
    /// where SCOPE is `ingress`, a service, or `{service: S, version: V, instance: N}`.
    static func readCounters(_ fields: MappingReader, keyword: String, topology: CheckedTopology?, log: inout DiagnosticLog) -> [Expectation] {
        var expectations: [Expectation] = []
        func needsAction(_ key: String) -> Bool {
            guard keyword == "expect", let keyNode = fields.keyNode(key) else { return true }
            log.error("\(key): counters are measured as their change over a step's action; put it on a traffic step (or another step with an action)", at: keyNode.mark)
            return false
        }
        for key in Expectation.counterKeys {
            if let node = fields[key], needsAction(key), let comparison = comparison(node, key: key, units: [.count], example: "'> 0'", log: &log) {
                expectations.append(.counter(name: key, comparison, scope: .all))
            }
        }
        guard let node = fields["counters"], needsAction("counters"),
              let entries = ValueReader.entries(node, key: "counters", expected: "a mapping of counter names to comparisons, with an optional 'of'", log: &log)
        else { return expectations }
        var scope = CounterScope.all
        if let of = entries.first(where: { $0.0 == "of" })?.1.value {
            if of.scalarText == "ingress" {
                scope = .ingress
            } else if let selector = readSelector(of, key: "of", topology: topology, log: &log) {
                scope = .instances(selector)
            } else {
                return expectations
            }
        }
        let names = Expectation.counterNames
        var any = false
        for (name, pair) in entries where name != "of" {
            any = true
            guard names.contains(name) else {
                log.error("counters: unknown counter '\(name)' (known: \(names.joined(separator: ", ")))\(Suggestion.hint(for: name, among: names))", at: pair.key.mark)
                continue
            }
            if let comparison = comparison(pair.value, key: "counters \(name)", units: [.count], example: "'> 0'", log: &log) {
                expectations.append(.counter(name: name, comparison, scope: scope))
            }
        }
        if !any { log.error("counters: expected at least one counter, such as requests: '> 0'", at: node.mark) }
        return expectations
    }

    /// `metric: SELECTOR` with `value: COMPARISON`, and `metrics: [{metric, value}, ...]`: the
    /// growth over the step's action of what the selector picks, summed over every sidecar.
    /// `promql: QUERY` (instead of `metric`) asks the real Prometheus for the query's value.
    static func readMetrics(_ fields: MappingReader, keyword: String, log: inout DiagnosticLog) -> [Expectation] {
        var expectations: [Expectation] = []
        func needsAction(_ key: String) -> Bool {
            guard keyword == "expect", let keyNode = fields.keyNode(key) else { return true }
            log.error("\(key): metrics are measured as their change over a step's action; put it on a traffic step (or another step with an action)", at: keyNode.mark)
            return false
        }
        func read(metric: YAMLNode?, promql: YAMLNode?, value: YAMLNode?, at node: YAMLNode, key: String) {
            if let promql {
                if metric != nil {
                    log.error("\(key): 'metric' or 'promql', not both (a selector summed over the sidecars, or a query to Prometheus)", at: promql.mark)
                    return
                }
                guard let text = promql.scalarText, !promql.isNull, !text.allSatisfy(\.isWhitespace) else {
                    ValueReader.fail("promql", expected: "a PromQL query such as 'sum(meshbed_requests_total)'", node: promql, log: &log)
                    return
                }
                guard let value else {
                    log.error("\(key): missing 'value' (a comparison such as '> 0') for promql \(text)", at: node.mark)
                    return
                }
                if let comparison = comparison(value, key: "value", units: [.count], example: "'> 0'", log: &log) {
                    expectations.append(.promql(text, comparison))
                }
                return
            }
            guard let metric else {
                log.error("\(key): 'value' goes with 'metric' (a selector such as meshbed_requests_total{destination=\"reviews\"})", at: node.mark)
                return
            }
            guard let text = metric.scalarText, !metric.isNull else {
                ValueReader.fail("metric", expected: "a selector such as 'meshbed_requests_total{destination=\"reviews\"}'", node: metric, log: &log)
                return
            }
            let selector: MetricSelector
            do {
                selector = try MetricSelector(parsing: text)
            } catch {
                log.error("metric: \(error.message)", at: metric.mark)
                return
            }
            guard let value else {
                log.error("\(key): missing 'value' (a comparison such as '> 0') for metric \(selector)", at: node.mark)
                return
            }
            if let comparison = comparison(value, key: "value", units: [.count], example: "'> 0'", log: &log) {
                expectations.append(.metric(selector, comparison))
            }
        }
        if fields["promql"] != nil {
            read(metric: fields["metric"], promql: fields["promql"], value: fields["value"], at: fields.node, key: "expect")
        } else if fields["metric"] != nil || fields["value"] != nil, needsAction(fields["metric"] != nil ? "metric" : "value") {
            read(metric: fields["metric"], promql: nil, value: fields["value"], at: fields.node, key: "expect")
        }
        guard let node = fields["metrics"] else { return expectations }
        // Only `metric` entries measure a change over an action; `promql` ones ask Prometheus.
        if let items = node.items, items.contains(where: { $0.pairs != nil && $0.value(for: "promql") == nil }), !needsAction("metrics") { return expectations }
        guard let items = node.items, !items.isEmpty else {
            ValueReader.fail("metrics", expected: "a list of {metric: SELECTOR, value: COMPARISON} (or promql: QUERY)", node: node, log: &log)
            return expectations
        }
        for item in items {
            guard let entry = MappingReader(item, key: "metrics", context: "in a metrics entry", allowed: ["metric", "promql", "value"], log: &log) else { continue }
            read(metric: entry["metric"], promql: entry["promql"], value: entry["value"], at: item, key: "metrics")
        }
        return expectations
    }

    /// A comparison whose unit is one of `units`.
    static func comparison(_ node: YAMLNode, key: String, units: [Comparison.Unit], example: String, log: inout DiagnosticLog) -> Comparison? {
        guard let text = node.scalarText, !node.isNull, let comparison = Comparison.parse(text), units.contains(comparison.unit) else {
            ValueReader.fail(key, expected: "a comparison like \(example)", node: node, log: &log)
            return nil
        }
        return comparison
    }

    @discardableResult
    static func checkService(_ name: String, key: String, node: YAMLNode, topology: CheckedTopology?, allowIngress: Bool = false, log: inout DiagnosticLog) -> Bool {
        guard let topology else { return true }
        if topology.services[name] != nil { return true }
        let hint = (allowIngress ? topology.callerSuggester : topology.serviceSuggester).hint(for: name)
        log.error("\(key): unknown service '\(name)' in topology '\(topology.name)'\(hint)", at: node.mark)
        return false
    }
}

extension String {
    /// The string without `prefix` when it starts with it.
    func replacingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
