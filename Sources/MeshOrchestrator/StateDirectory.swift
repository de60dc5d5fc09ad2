import FoundationEssentials
import MeshCore
import MeshIO

/// The state directory (`--state-dir`, default `./.meshbed`): one subdirectory per
/// topology with its `state.json` and `logs/<process>.log`.
public struct StateDirectory: Sendable, Equatable {
    /// The directory, as an absolute path.
    public let root: String

    /// The default, relative to the working directory.
    public static let defaultPath = ".meshbed"

    /// `path` made absolute against the working directory.
    public init(_ path: String = defaultPath) {
        root = Self.absolute(path)
    }

    /// `path` made absolute against the working directory, `.` and `..` resolved, and
    /// symbolic links in its existing part resolved too: one directory has one name (and
    /// its topologies one marker), whichever path reached it.
    public static func absolute(_ path: String) -> String {
        let base = FileManager.default.currentDirectoryPath
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: base).appendingPathComponent(path)
        let standard = url.standardizedFileURL.path
        // The longest part that exists is resolved; the rest (to be created) is kept as written.
        var existing = standard
        var rest: [String] = []
        while existing != "/", !FileManager.default.fileExists(atPath: existing) {
            rest.insert(PathText.lastComponent(existing), at: 0)
            existing = PathText.deletingLastComponent(existing)
        }
        let resolved = URL(fileURLWithPath: existing).resolvingSymlinksInPath().path
        return rest.reduce(resolved) { $0 == "/" ? "/" + $1 : $0 + "/" + $1 }
    }

    /// `ROOT/NAME`.
    public func directory(of name: String) -> String { root + "/" + name }
    /// `ROOT/NAME/state.json`.
    public func stateFile(of name: String) -> String { directory(of: name) + "/state.json" }
    /// `ROOT/NAME/logs`.
    public func logsDirectory(of name: String) -> String { directory(of: name) + "/logs" }
    /// `ROOT/NAME/logs/PROCESS.log`.
    public func logPath(of name: String, process: String) -> String { logsDirectory(of: name) + "/" + process + ".log" }

    /// `MESHBED_STATE=ROOT/NAME`: the environment entry every process of topology `name`
    /// started from this state directory carries, whatever its run.
    public func marker(of name: String) -> String { "MESHBED_STATE=" + directory(of: name) }

    /// `ROOT/NAME/lock`: the exclusive lock the topology's supervisor holds for its whole life (`StateLock`).
    public func lockFile(of name: String) -> String { directory(of: name) + "/lock" }
    /// `ROOT/NAME/owner.json`: who holds the lock (pid, start time, command), for messages.
    public func ownerFile(of name: String) -> String { directory(of: name) + "/owner.json" }

    /// `ROOT/NAME/requests`: where commands ask a running supervisor for something (`RestartChannel`).
    public func requestsDirectory(of name: String) -> String { directory(of: name) + "/requests" }

    /// Creates `ROOT/NAME/logs`; with `clearLogs`, removes the logs of an earlier run first.
    public func prepare(_ name: String, clearLogs: Bool) throws(OrchestratorError) {
        let manager = FileManager.default
        let logs = logsDirectory(of: name)
        do {
            if clearLogs, manager.fileExists(atPath: logs) {
                for entry in try manager.contentsOfDirectory(atPath: logs) where entry.hasSuffix(".log") {
                    try manager.removeItem(atPath: logs + "/" + entry)
                }
            }
            try manager.createDirectory(atPath: logs, withIntermediateDirectories: true)
        } catch {
            throw .badInput("--state-dir \(root): cannot create \(logs): \(FileErrorReason.of(error))")
        }
    }

    /// Creates `ROOT/NAME` (and `ROOT`) if missing.
    public func createDirectory(of name: String) throws(OrchestratorError) {
        do {
            try FileManager.default.createDirectory(atPath: directory(of: name), withIntermediateDirectories: true)
        } catch {
            throw .badInput("--state-dir \(root): cannot create \(directory(of: name)): \(FileErrorReason.of(error))")
        }
    }

    /// The state of `name`, or nil when it has none. Throws when the file is unreadable.
    public func read(_ name: String) throws(OrchestratorError) -> MeshState? {
        let path = stateFile(of: name)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .badInput("\(path): unreadable state file: \(FileErrorReason.of(error))")
        }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw .badInput("\(path): unreadable state file: it is empty")
        }
        do {
            return try JSONDecoder().decode(MeshState.self, from: data)
        } catch DecodingError.keyNotFound(let key, _) {
            throw .badInput("\(path): unreadable state file: '\(key.stringValue)' is missing")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw .badInput("\(path): unreadable state file: '\(field)' has the wrong type")
        } catch {
            throw .badInput("\(path): unreadable state file: not JSON (truncated?)")
        }
    }

    /// Writes `state` to its `state.json` atomically (readers never see half a file), and
    /// beside it, with the mesh, `prometheus-targets.json` (every admin port as Prometheus
    /// `file_sd` targets) and, with `up --prometheus`, the server's configuration.
    public func write(_ state: MeshState) throws(OrchestratorError) {
        let path = stateFile(of: state.name)
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(state).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .couldNotStart("\(path): cannot write the state file: \(FileErrorReason.of(error))")
        }
        guard state.mesh else { return }
        let targets = targetsFile(of: state.name)
        do {
            try Data(PrometheusTargets.fileSD(state)).write(to: URL(fileURLWithPath: targets), options: .atomic)
            if state.prometheus != nil {
                let directory = prometheusDirectory(of: state.name)
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                try Data(PrometheusTargets.configuration(targetsFile: targets).utf8)
                    .write(to: URL(fileURLWithPath: directory + "/prometheus.yml"), options: .atomic)
            }
        } catch {
            throw .couldNotStart("\(targets): cannot write the Prometheus targets: \(FileErrorReason.of(error))")
        }
    }

    /// `ROOT/NAME/prometheus-targets.json`: the admin ports as Prometheus `file_sd` targets.
    public func targetsFile(of name: String) -> String { directory(of: name) + "/prometheus-targets.json" }

    /// `ROOT/NAME/prometheus`: the configuration and data of `up --prometheus`'s server.
    public func prometheusDirectory(of name: String) -> String { directory(of: name) + "/prometheus" }

    /// Removes the whole state directory (every topology's state and logs in it).
    public func removeAll() {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Removes `name`'s state file (its logs stay).
    public func removeState(_ name: String) {
        try? FileManager.default.removeItem(atPath: stateFile(of: name))
    }

    /// The topologies started here (with a state file or a lock file), sorted.
    public func names() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return entries.filter(contains).sorted()
    }

    /// The state directory and topology a command means. With `stateDirectory` (`--state-dir`),
    /// `name` (or the only one) there. Without, a `name` that runs is found through `index`
    /// from any directory; otherwise it is looked for in the default `./.meshbed`.
    public static func locate(
        _ name: String?, stateDirectory: String?, index: TopologyIndex = .standard()
    ) throws(OrchestratorError) -> (store: StateDirectory, name: String) {
        if let stateDirectory {
            let store = StateDirectory(stateDirectory)
            return (store, try store.resolve(name, isRunning: TopologyLauncher.isSupervising))
        }
        let local = StateDirectory()
        if let name {
            let running = index.entries().filter { $0.name == name }
            if running.count == 1 { return (StateDirectory(running[0].stateDirectory), name) }
            if running.count > 1 {
                if running.contains(where: { $0.stateDirectory == local.root }) { return (local, name) }
                let places = running.map(\.stateDirectory).joined(separator: ", ")
                throw .badInput("several running topologies are named '\(name)' (state directories \(places)): name one with --state-dir")
            }
            guard local.contains(name) else {
                throw .badInput("no topology '\(name)' is running, and none is in \(local.root) (start one with 'meshbed up FILE')")
            }
            return (local, name)
        }
        do {
            return (local, try local.resolve(nil, isRunning: TopologyLauncher.isSupervising))
        } catch where local.names().isEmpty {
            let running = index.entries()
            guard !running.isEmpty else { throw error }
            let list = running.map { "\($0.name) (in \($0.stateDirectory))" }.joined(separator: ", ")
            throw .badInput("no topology in \(local.root); running elsewhere: \(list): name one")
        }
    }

    /// Whether `name` has been started here (it has a state file or a lock file).
    public func contains(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: stateFile(of: name)) || FileManager.default.fileExists(atPath: lockFile(of: name))
    }

    /// The topology a command means: `name` when given (it must have been started here),
    /// else the only one here, else the only running one.
    public func resolve(_ name: String?, isRunning: (MeshState) -> Bool) throws(OrchestratorError) -> String {
        if let name {
            guard contains(name) else {
                throw .badInput("no topology '\(name)' in \(root) (start one with 'meshbed up FILE')")
            }
            return name
        }
        let all = names()
        if all.count == 1 { return all[0] }
        if all.isEmpty { throw .badInput("no topology in \(root) (start one with 'meshbed up FILE')") }
        let running = all.filter { (try? read($0)).flatMap { $0 }.map(isRunning) ?? false }
        if running.count == 1 { return running[0] }
        throw .badInput("\(root) holds several topologies (\(all.joined(separator: ", "))): name one")
    }
}
