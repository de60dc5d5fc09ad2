import FoundationEssentials
import MeshIO

/// The exclusive lock on one topology's state (`ROOT/NAME/lock`, an `flock`): whoever holds
/// it is that topology's one supervisor, or the `up --detach` that is starting it, so two
/// `up` on one state directory cannot both start processes. `up` takes it before it touches
/// anything; a detached supervisor is handed the very lock (`SpawnRequest.passedDescriptor`),
/// so there is no moment in which it is free. The supervisor holds it for its whole life and
/// the kernel releases it when the supervisor dies, however it dies.
///
/// `ROOT/NAME/owner.json` names the holder for the loser's message. It is written whole
/// (atomically); the lock file itself is never replaced (a new inode would split the lock).
public struct StateLock: Sendable {
    /// Who holds a topology's lock.
    public struct Owner: Codable, Sendable, Equatable {
        /// The holder's pid: the supervisor (or, for a moment, the `up --detach` starting it).
        public var pid: Int32
        /// Its start time (`Posix.startTime`), so that a reused pid is not taken for it.
        public var startTime: UInt64?
        /// The command that started the topology, as typed: `meshbed up shop.yaml --detach`.
        public var command: String
        /// The directory it was typed in.
        public var directory: String
    }

    /// The descriptor that holds the lock (close it, or exit, to release it).
    public let descriptor: Int32
    /// The topology.
    public let name: String
    /// Its state directory.
    public let store: StateDirectory

    /// Takes `name`'s lock in `store` without waiting. Throws (exit 2) when another process
    /// holds it, naming that process and how it was started; `stop` tells how to stop it.
    public static func acquire(_ name: String, in store: StateDirectory, stop: String) throws(OrchestratorError) -> StateLock {
        try store.createDirectory(of: name)
        let path = store.lockFile(of: name)
        let descriptor: Int32?
        do {
            descriptor = try Posix.lockExclusively(path)
        } catch {
            throw .badInput("--state-dir \(store.root): cannot lock \(path): \(error)")
        }
        guard let descriptor else {
            // The winner writes its owner file once its supervisor runs: give it a moment.
            var owner: Owner?
            let deadline = Posix.monotonicNanoseconds() + 5_000_000_000
            while owner == nil && Posix.monotonicNanoseconds() < deadline {
                owner = Self.owner(of: name, in: store)
                if owner == nil { Posix.sleep(nanoseconds: 20_000_000) }
            }
            guard let owner else {
                throw .badInput("topology '\(name)' is already starting or stopping (another meshbed holds \(path)); if it is running, stop it with '\(stop)'")
            }
            throw .badInput("topology '\(name)' is already running (supervisor pid \(owner.pid), started with '\(owner.command)' in \(owner.directory)); stop it with '\(stop)'")
        }
        return StateLock(descriptor: descriptor, name: name, store: store)
    }

    /// The lock `up --detach` handed this process as descriptor 3, if it is `name`'s lock
    /// in `store` (a detached supervisor's case); nil otherwise.
    public static func inherited(_ name: String, in store: StateDirectory) -> StateLock? {
        guard let file = Posix.fileIdentity(store.lockFile(of: name)), Posix.fileIdentity(of: 3) == file else { return nil }
        Posix.setCloseOnExec(3)  // the supervisor's children must not hold it
        return StateLock(descriptor: 3, name: name, store: store)
    }

    /// Records `pid` (with its start time) as the holder, started by this process's command.
    public func recordOwner(pid: Int32 = Posix.processID()) {
        let owner = Owner(pid: pid, startTime: Posix.startTime(of: pid), command: Self.typedCommand(),
                          directory: FileManager.default.currentDirectoryPath)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(owner) {
            try? data.write(to: URL(fileURLWithPath: store.ownerFile(of: name)), options: .atomic)
        }
    }

    /// Releases the lock (this process's hold on it: a child it was handed to keeps it).
    public func release() {
        Posix.close(descriptor)
    }

    /// The recorded holder of `name`'s lock, if that process still runs (same start time)
    /// and holds the lock file open; nil otherwise.
    public static func owner(of name: String, in store: StateDirectory) -> Owner? {
        guard let data = FileManager.default.contents(atPath: store.ownerFile(of: name)),
              let owner = try? JSONDecoder().decode(Owner.self, from: data),
              Posix.liveness(of: owner.pid).isAlive, owner.startTime == nil || Posix.startTime(of: owner.pid) == owner.startTime,
              isHeld(name, in: store, by: owner.pid)
        else { return nil }
        return owner
    }

    /// Whether `pid` holds `name`'s lock file open: only the lock's holders keep it open, so
    /// this tells a topology's supervisor from an unrelated process that got its pid.
    public static func isHeld(_ name: String, in store: StateDirectory, by pid: Int32) -> Bool {
        guard let file = Posix.fileIdentity(store.lockFile(of: name)) else { return false }
        return Posix.openFiles(of: pid).contains(file)
    }

    /// Every running process (but this one) that holds `name`'s lock file open.
    public static func holders(_ name: String, in store: StateDirectory) -> [Int32] {
        guard let file = Posix.fileIdentity(store.lockFile(of: name)) else { return [] }
        let me = Posix.processID()
        return Posix.processIDs().filter { $0 != me && Posix.liveness(of: $0).isAlive && Posix.openFiles(of: $0).contains(file) }
    }

    /// This process's command line as the user typed it: `meshbed up shop.yaml --detach`.
    static func typedCommand() -> String {
        var words = Posix.commandLine(of: Posix.processID()) ?? CommandLine.arguments
        if let program = words.first { words[0] = String(program.split(separator: "/").last ?? Substring(program)) }
        return words.map { word in
            word.isEmpty || word.contains(where: { " \t'\"$\\".contains($0) }) ? "'" + word.replacing("'", with: "'\\''") + "'" : word
        }.joined(separator: " ")
    }
}
