import FoundationEssentials
import MeshConfig
import MeshCore
import MeshIO
import MeshOrchestrator
import MeshTopology
import MeshYAML

/// `meshbed fault add|list|clear`: live faults on a running topology (SPEC §6). A request-
/// or link-level fault goes to the control plane (which checks it against the topology)
/// and the command waits until every live sidecar applied it; a process fault (`kill`,
/// `pause`, `resume`, `restart`) is carried out at once on the instances' processes.
/// Exit 0 done, 1 not applied in time (or the control plane did not answer), 2 bad input.
enum FaultCommand {
    /// The process kinds, which take `SERVICE[/VERSION[/INDEX]]` instead of flags.
    static let processKinds = ["kill", "pause", "resume", "restart"]

    /// Flags of `fault add` that become a key of the fault, with how their value is written.
    enum Value {
        /// Quoted text (names, durations, rates).
        case text
        /// A number, checked here (a YAML string would not be one).
        case number
        /// `NAME:VALUE` pairs, repeatable, collected into a mapping.
        case pairs
        /// `A,B`: a list of two names.
        case list
    }

    static let addFlags: [(flag: String, key: String, value: Value)] = [
        ("--to", "to", .text), ("--from", "from", .text), ("--version", "version", .text), ("--side", "side", .text),
        ("--delay", "delay", .text), ("--status", "status", .number), ("--body", "body", .text),
        ("--percent", "percent", .number), ("--requests", "requests", .text), ("--first", "first", .number),
        ("--duration", "duration", .text), ("--latency", "latency", .text), ("--jitter", "jitter", .text),
        ("--rate", "rate", .text), ("--after", "after", .number), ("--between", "between", .list),
        ("--direction", "direction", .text), ("--toxicity", "toxicity", .number),
        ("--header", "headers", .pairs), ("--response-header", "responseHeaders", .pairs),
    ]

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "fault")
        var values: [String: [String]] = [:]
        for entry in addFlags {
            let given = entry.value == .pairs ? try scanner.options(entry.flag) : try scanner.option(entry.flag).map { [$0] } ?? []
            if !given.isEmpty { values[entry.flag] = given }
        }
        let specText = try scanner.option("--spec")
        let all = scanner.flag("--all")
        let json = scanner.flag("--json")
        let topology = try scanner.option("--topology")
        let stateDirectory = try scanner.option("--state-dir")
        let timeout = try scanner.durationOption("--timeout") ?? LiveRoutes.defaultTimeout
        let words = scanner.positionals()
        try scanner.finish()
        if let topology { try NameRules.check(topology, flag: "--topology") }
        if timeout <= .zero { throw UsageError("--timeout: must be above 0") }

        guard let verb = words.first else { throw UsageError("fault: expected add, list or clear; try 'meshbed fault --help'") }
        let rest = Array(words.dropFirst())
        switch verb {
        case "add":
            let spec = try faultSpec(rest, values: values, specText: specText)
            if all || json { throw UsageError("fault add: \(all ? "--all" : "--json") goes with \(all ? "clear" : "list")") }
            let (state, control) = try RunningMesh.locate(topology, stateDirectory: stateDirectory, command: "fault add", noMesh: "")
            if spec.kind.isProcessLevel { return processFault(spec, state: state, stateDirectory: stateDirectory) }
            return add(spec, control: control, timeout: timeout)
        case "list":
            guard rest.isEmpty, values.isEmpty, specText == nil, !all else { throw UsageError("fault list: takes no arguments but --json, --topology, --state-dir") }
            let (state, control) = try RunningMesh.locate(topology, stateDirectory: stateDirectory, command: "fault list", noMesh: "")
            return list(state: state, control: control, json: json)
        case "clear":
            guard values.isEmpty, specText == nil, !json else { throw UsageError("fault clear: expected ID or --all") }
            guard (rest.count == 1) != all else {
                throw UsageError(all ? "fault clear: give an ID or --all, not both" : "fault clear: expected one fault ID (see 'meshbed fault list') or --all")
            }
            let (state, control) = try RunningMesh.locate(topology, stateDirectory: stateDirectory, command: "fault clear", noMesh: "")
            return clear(all ? nil : rest[0], state: state, control: control, timeout: timeout)
        default:
            throw UsageError("fault: unknown subcommand '\(verb)' (expected add, list or clear)")
        }
    }

    /// The fault `fault add` describes: `--spec` as written, or the kind and the flags (a
    /// process kind takes `SERVICE[/VERSION[/INDEX]]`), read by the topology's fault reader.
    static func faultSpec(_ words: [String], values: [String: [String]], specText: String?) throws(UsageError) -> FaultSpec {
        let text: String
        if let specText {
            guard words.isEmpty, values.isEmpty else { throw UsageError("fault add: --spec takes the whole fault; give no KIND or other flags with it") }
            text = specText
        } else {
            guard let kind = words.first else { throw UsageError("fault add: expected a KIND (delay, abort, kill, pause, ...) or --spec") }
            var fields = ["kind: " + FaultSpec.quoted(kind)]
            if processKinds.contains(kind) {
                guard words.count == 2 else { throw UsageError("fault add \(kind): expected one SERVICE[/VERSION[/INDEX]]") }
                guard values.isEmpty else { throw UsageError("fault add \(kind): takes SERVICE[/VERSION[/INDEX]], no other flags") }
                let parts = words[1].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                guard (1...3).contains(parts.count), !parts.contains(where: \.isEmpty) else {
                    throw UsageError("fault add \(kind): expected SERVICE[/VERSION[/INDEX]], got '\(words[1])'")
                }
                fields.append("service: " + FaultSpec.quoted(parts[0]))
                if parts.count > 1 { fields.append("version: " + FaultSpec.quoted(parts[1])) }
                if parts.count > 2 {
                    guard let index = Int(parts[2]), index >= 0 else { throw UsageError("fault add \(kind): INDEX must be a number ≥ 0, got '\(parts[2])'") }
                    fields.append("instance: \(index)")
                }
            } else {
                guard words.count == 1 else { throw UsageError("fault add \(kind): unexpected argument '\(words[1])'") }
                for entry in addFlags {
                    guard let given = values[entry.flag] else { continue }
                    fields.append(entry.key + ": " + (try written(given, as: entry.value, flag: entry.flag)))
                }
            }
            text = "{" + fields.joined(separator: ", ") + "}"
        }
        let node: YAMLNode
        do {
            guard let first = try YAMLParser.parse(text).first else { throw UsageError("fault add: the fault is empty") }
            node = first
        } catch let error as UsageError {
            throw error
        } catch {
            throw UsageError("fault add: --spec: not a YAML mapping (\(error))")
        }
        switch FaultSpec.parse(node: node, file: "fault", services: nil) {
        case .success(let spec):
            if spec.kind.isProcessLevel, spec.duration != nil {
                throw UsageError("fault add \(spec.kind.rawValue): duration is not supported yet on process faults (resume or restart later)")
            }
            return spec
        case .failure(let errors):
            throw UsageError("fault add: " + errors.diagnostics.map(\.message).joined(separator: "; "))
        }
    }

    /// A flag's value as YAML.
    static func written(_ given: [String], as value: Value, flag: String) throws(UsageError) -> String {
        switch value {
        case .text: return FaultSpec.quoted(given[0])
        case .number:
            guard let number = Double(given[0]), number.isFinite else { throw UsageError("\(flag): expected a number, got '\(given[0])'") }
            return given[0]
        case .list:
            let names = given[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return "[" + names.map(FaultSpec.quoted).joined(separator: ", ") + "]"
        case .pairs:
            var entries: [String] = []
            for pair in given {
                guard let colon = pair.firstIndex(where: { $0 == ":" || $0 == "=" }), colon != pair.startIndex else {
                    throw UsageError("\(flag): expected NAME:VALUE, got '\(pair)'")
                }
                let name = String(pair[..<colon])
                let text = String(pair[pair.index(after: colon)...].drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
                entries.append(FaultSpec.quoted(name) + ": " + FaultSpec.quoted(text))
            }
            return "{" + entries.joined(separator: ", ") + "}"
        }
    }

    static func add(_ spec: FaultSpec, control: String, timeout: Duration) -> Int32 {
        let started = Posix.monotonicNanoseconds()
        do {
            let added = try LiveFaults.add(spec, control: control)
            let applied = try LiveRoutes.waitUntilApplied(version: added.version, control: control, timeout: timeout, since: started).get()
            Posix.writeAll(1, Array("fault \(added.id) added: \(spec); version \(applied.version) applied by \(applied.sidecars) sidecars in \(applied.milliseconds) ms\n".utf8))
            return 0
        } catch {
            CommandLineTool.printError("meshbed: fault add \(spec.kind.rawValue): \(error.message)")
            return error.exitCode
        }
    }

    static func processFault(_ spec: FaultSpec, state: MeshState, stateDirectory: String?) -> Int32 {
        guard case .instances(let service, let version, let index) = spec.target else { return 2 }
        var instances = ProcessFaults.instances(service: service, version: version, index: version == nil ? nil : index, in: state)
        // Without a version, INDEX counts over all of the service's instances.
        if version == nil, let index { instances = instances.indices.contains(index) ? [instances[index]] : [] }
        guard !instances.isEmpty else {
            CommandLineTool.printError("meshbed: fault add \(spec.kind.rawValue): no instance '\(service)\(version.map { "/" + $0 } ?? "")\(index.map { "/\($0)" } ?? "")' in topology '\(state.name)'")
            return 2
        }
        let ids = instances.map(\.id)
        let pids = ProcessFaults.pids(of: instances, in: state)
        switch spec.action {
        case .kill: ProcessFaults.kill(pids)
        case .pause: ProcessFaults.pause(pids)
        case .resume: ProcessFaults.resume(pids)
        default:
            do {
                let (store, _) = try StateDirectory.locate(state.name, stateDirectory: stateDirectory)
                let answer = try RestartChannel.restart(ids, of: state, store: store)
                if let failure = answer.failure {
                    CommandLineTool.printError("meshbed: fault add restart: \(failure)")
                    return 1
                }
            } catch {
                CommandLineTool.printError("meshbed: fault add restart: \(error)")
                return 1
            }
        }
        let verb = ["kill": "killed", "pause": "paused", "resume": "resumed", "restart": "restarted"][spec.kind.rawValue] ?? spec.kind.rawValue
        Posix.writeAll(1, Array("\(verb) \(ids.joined(separator: ", "))\n".utf8))
        return 0
    }

    static func list(state: MeshState, control: String, json: Bool) -> Int32 {
        let faults: [FaultConfig]
        do {
            faults = try LiveFaults.list(control: control)
        } catch {
            CommandLineTool.printError("meshbed: fault list: \(error.message)")
            return error.exitCode
        }
        let counts = sidecarCounts(state)
        if json {
            var out: [UInt8] = []
            JSONWriter.object(into: &out) { object in
                object.field("faults", array: { list in
                    for fault in faults {
                        list.element(object: { item in
                            item.field("id", string: fault.id)
                            item.field("kind", string: fault.kind)
                            item.field("spec", string: fault.spec ?? "")
                            if let name = fault.name { item.field("toxic", string: name) }
                            item.field("matched", integer: counts[fault.id]?.matched ?? 0)
                            item.field("injected", integer: counts[fault.id]?.injected ?? 0)
                        })
                    }
                })
            }
            Posix.writeAll(1, out + [10])
            return 0
        }
        guard !faults.isEmpty else {
            Posix.writeAll(1, Array("no faults in force on '\(state.name)'\n".utf8))
            return 0
        }
        var lines = ["ID    MATCHED  INJECTED  FAULT"]
        for fault in faults {
            let matched = String(counts[fault.id]?.matched ?? 0), injected = String(counts[fault.id]?.injected ?? 0)
            func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(1, width - text.count)) }
            let toxic = fault.name.map { " (Toxiproxy toxic '\($0)')" } ?? ""
            let columns: [String] = [pad(fault.id, 6), pad(matched, 9), pad(injected, 10), (fault.spec ?? fault.kind) + toxic]
            lines.append(columns.joined())
        }
        Posix.writeAll(1, Array((lines.joined(separator: "\n") + "\n").utf8))
        return 0
    }

    /// Per fault id, `matched` and `injected` summed over every sidecar's admin `/stats`.
    static func sidecarCounts(_ state: MeshState) -> [String: (matched: Int, injected: Int)] {
        var counts: [String: (matched: Int, injected: Int)] = [:]
        let admins = state.sidecarAdmins.map(\.admin)
        struct Stats: Decodable {
            struct Counts: Decodable {
                var matched: Int
                var injected: Int
            }
            var faults: [String: Counts]?
        }
        for admin in admins {
            guard let (status, body) = HTTPProbe.get(address: admin, path: "/stats", timeout: .milliseconds(500)), status == 200,
                  let faults = (try? JSONDecoder().decode(Stats.self, from: Data(body)))?.faults
            else { continue }
            for (id, count) in faults {
                counts[id] = ((counts[id]?.matched ?? 0) + count.matched, (counts[id]?.injected ?? 0) + count.injected)
            }
        }
        return counts
    }

    static func clear(_ id: String?, state: MeshState, control: String, timeout: Duration) -> Int32 {
        let started = Posix.monotonicNanoseconds()
        do {
            let (cleared, version) = try LiveFaults.clear(id, control: control)
            let applied = try LiveRoutes.waitUntilApplied(version: version, control: control, timeout: timeout, since: started).get()
            var message = "cleared \(cleared) fault\(cleared == 1 ? "" : "s"); version \(applied.version) applied by \(applied.sidecars) sidecars"
            if id == nil {
                // --all heals: paused instances go on too.
                ProcessFaults.resume(ProcessFaults.pids(of: state.instances, in: state))
                message += "; every instance resumed"
            }
            Posix.writeAll(1, Array((message + "\n").utf8))
            return 0
        } catch {
            CommandLineTool.printError("meshbed: fault clear: \(error.message)")
            return error.exitCode
        }
    }
}
