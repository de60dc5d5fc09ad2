import FoundationEssentials
import MeshIO
import MeshOrchestrator

/// `meshbed logs [SERVICE] [--follow] [--json] [--topology NAME] [--state-dir DIR]`: the
/// access lines of a topology's sidecars (SERVICE's instances', or `ingress`), merged in time
/// order; with `--follow`, new ones as they are written, until Ctrl-C or the topology stops.
enum LogsCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "logs")
        let follow = scanner.flag("--follow")
        let json = scanner.flag("--json")
        let topology = try scanner.option("--topology")
        let stateDirectory = try scanner.option("--state-dir")
        let words = scanner.positionals()
        try scanner.finish()
        if let topology { try NameRules.check(topology, flag: "--topology") }
        guard words.count <= 1 else { throw UsageError("logs: expected at most one SERVICE, got \(words.count)") }
        let state: MeshState
        do {
            state = try RunningMesh.read(topology, stateDirectory: stateDirectory)
        } catch {
            throw UsageError("logs: \(error)")
        }
        guard state.mesh else { throw UsageError("logs: topology '\(state.name)' runs without the mesh (up --no-mesh): no sidecar writes access lines") }
        let logs = try Self.logs(of: state, service: words.first)

        var offsets = [Int](repeating: 0, count: logs.count)
        /// The complete access lines written since the last read, merged.
        func readNew() -> [AccessLogReader.Entry] {
            var batches: [[AccessLogReader.Entry]] = []
            for (index, log) in logs.enumerated() {
                guard let bytes = Posix.readFile(log.path, from: offsets[index], limit: 64 << 20),
                      let end = bytes.lastIndex(of: 10) else { continue }
                offsets[index] += end + 1
                batches.append(AccessLogReader.entries(Substring(String(decoding: bytes[...end], as: UTF8.self)), sidecar: log.sidecar))
            }
            return AccessLogReader.merged(batches)
        }
        func printAll(_ entries: [AccessLogReader.Entry]) {
            guard !entries.isEmpty else { return }
            let text = entries.map { json ? $0.json : AccessLogReader.readable($0) }.joined(separator: "\n") + "\n"
            Posix.writeAll(1, Array(text.utf8))
        }
        printAll(readNew())
        guard follow else { return 0 }
        let signals = [ProcessSignal.interrupt, ProcessSignal.terminate]
        Posix.blockSignals(signals)
        var checked = Posix.monotonicNanoseconds()
        while true {
            if Posix.waitForSignal(signals, timeoutNanoseconds: 200_000_000) != nil { return 0 }
            printAll(readNew())
            if Posix.monotonicNanoseconds() - checked > 1_000_000_000 {
                checked = Posix.monotonicNanoseconds()
                if !TopologyLauncher.isSupervising(state) {
                    printAll(readNew())
                    return 0
                }
            }
        }
    }

    /// The sidecar logs to read: SERVICE's instances' (or the ingress gateway's), or all.
    static func logs(of state: MeshState, service: String?) throws(UsageError) -> [(sidecar: String, path: String)] {
        let services = Set(state.instances.map(\.service))
        if let service, service != "ingress", !services.contains(service) {
            let known = (services.sorted() + ["ingress"]).joined(separator: ", ")
            throw UsageError("logs: no service '\(service)' in topology '\(state.name)' (services: \(known))")
        }
        let serviceOf = Dictionary(state.instances.map { ($0.id, $0.service) }, uniquingKeysWith: { first, _ in first })
        return state.processes.compactMap { process in
            switch process.role {
            case .sidecar:
                guard let instance = process.instance, service == nil || serviceOf[instance] == service else { return nil }
                return (instance, process.log)
            case .ingress:
                guard service == nil || service == "ingress" else { return nil }
                return ("ingress", process.log)
            default:
                return nil
            }
        }
    }
}
