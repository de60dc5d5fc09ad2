import FoundationEssentials
import MeshIO

/// The per-user index of running topologies, so that `status` lists every one on the
/// machine and `down NAME`, `status NAME` and `load --topology NAME` find one from any
/// directory. One small JSON file per topology: written by its supervisor when it starts,
/// removed when it stops (and by `down`); an entry whose supervisor is gone (killed) is
/// pruned when the index is read.
///
/// Where: `$MESHBED_INDEX_DIR` (tests use their own), else `~/.local/state/meshbed/running`,
/// else (no home) `/tmp/meshbed-UID`. Not `$XDG_RUNTIME_DIR`: it exists only in a login
/// session and goes at logout, while a detached topology outlives both, and `status` from
/// cron or ssh must see what a desktop shell started.
public struct TopologyIndex: Sendable, Equatable {
    /// The environment variable that overrides the index's directory.
    public static let variable = "MESHBED_INDEX_DIR"

    /// One running topology.
    public struct Entry: Codable, Sendable, Equatable {
        /// The topology's name.
        public var name: String
        /// Its state directory (`--state-dir`), an absolute path.
        public var stateDirectory: String
        /// Its supervisor's pid.
        public var supervisorPID: Int32
        /// The supervisor's start time (`Posix.startTime`).
        public var supervisorStartTime: UInt64?

        public init(name: String, stateDirectory: String, supervisorPID: Int32, supervisorStartTime: UInt64?) {
            self.name = name
            self.stateDirectory = stateDirectory
            self.supervisorPID = supervisorPID
            self.supervisorStartTime = supervisorStartTime
        }

        /// Whether the supervisor it names still runs: same pid, same start time, and it
        /// holds the topology's lock.
        public var isRunning: Bool {
            Posix.liveness(of: supervisorPID).isAlive
                && (supervisorStartTime == nil || Posix.startTime(of: supervisorPID) == supervisorStartTime)
                && StateLock.isHeld(name, in: StateDirectory(stateDirectory), by: supervisorPID)
        }
    }

    /// The index's directory.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The index `environment` points at (see the type's summary).
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> TopologyIndex {
        if let path = environment[variable], !path.isEmpty { return TopologyIndex(directory: StateDirectory.absolute(path)) }
        if let home = environment["HOME"], home.hasPrefix("/"), home != "/" {
            return TopologyIndex(directory: home + "/.local/state/meshbed/running")
        }
        return TopologyIndex(directory: "/tmp/meshbed-\(Posix.userID())")
    }

    /// Adds (or replaces) `entry`. Best effort: a topology runs without its index entry.
    public func add(_ entry: Entry) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(entry) else { return }
        try? data.write(to: URL(fileURLWithPath: file(name: entry.name, stateDirectory: entry.stateDirectory)), options: .atomic)
    }

    /// Removes the entry of `name` in `stateDirectory`, if its supervisor is `supervisorPID`
    /// (or whichever it is, when nil).
    public func remove(name: String, stateDirectory: String, supervisorPID: Int32? = nil) {
        let path = file(name: name, stateDirectory: stateDirectory)
        if let supervisorPID, let entry = Self.read(path), entry.supervisorPID != supervisorPID { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Every running topology, sorted by name and state directory; entries whose supervisor
    /// is gone are removed on the way.
    public func entries() -> [Entry] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var result: [Entry] = []
        for file in files where file.hasSuffix(".json") {
            let path = directory + "/" + file
            guard let entry = Self.read(path) else { continue }
            if entry.isRunning {
                result.append(entry)
            } else {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        return result.sorted { ($0.name, $0.stateDirectory) < ($1.name, $1.stateDirectory) }
    }

    /// `DIRECTORY/NAME-HASH.json`, HASH from the state directory (two topologies of one
    /// name in two state directories are two entries).
    func file(name: String, stateDirectory: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in stateDirectory.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return directory + "/" + name + "-" + String(repeating: "0", count: 16 - hex.count) + hex + ".json"
    }

    private static func read(_ path: String) -> Entry? {
        FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(Entry.self, from: $0) }
    }
}
