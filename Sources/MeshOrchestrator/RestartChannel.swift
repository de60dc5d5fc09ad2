import FoundationEssentials
import MeshIO

/// How another process asks a running supervisor to restart instances: only the supervisor
/// can start its children (it reaps them, and they die with it), so the asker writes
/// `STATE_DIR/NAME/requests/restart-ID.json` (the instance ids) and sends the supervisor
/// SIGUSR1; the supervisor reads and removes every pending request, stops the instances'
/// apps and sidecars if they still run, starts them again from their launch specs (same
/// ports, arguments and environment), records the new pids in the state file and answers
/// with `requests/restart-ID.done`, which the asker reads and removes.
public enum RestartChannel {
    /// The request file's content.
    public struct Request: Codable, Sendable, Equatable {
        /// Instance ids, e.g. `reviews-v1-0`.
        public var instances: [String]

        public init(instances: [String]) {
            self.instances = instances
        }
    }

    /// The supervisor's answer.
    public struct Acknowledgement: Codable, Sendable, Equatable {
        /// The instances whose processes were started again.
        public var restarted: [String]
        /// Why the restart did not (fully) happen; nil when it did.
        public var failure: String?

        public init(restarted: [String], failure: String? = nil) {
            self.restarted = restarted
            self.failure = failure
        }
    }

    /// The supervisor's time to answer: stopping (up to 3 s with the grace) and starting.
    public static let defaultTimeout: Duration = .seconds(10)

    /// Asks the supervisor of `state` to restart `instances` and waits (at most `timeout`)
    /// for its answer. Throws when the request cannot be written or is not answered in time.
    public static func restart(
        _ instances: [String], of state: MeshState, store: StateDirectory, timeout: Duration = defaultTimeout
    ) throws(OrchestratorError) -> Acknowledgement {
        let id = try submit(Request(instances: instances), name: state.name, store: store)
        // SIGUSR1 ends a process that does not handle it: only to our supervisor, never to a
        // process that took over its pid.
        guard TopologyLauncher.isSupervising(state), Posix.sendSignal(ProcessSignal.userDefined1, to: state.supervisorPID) else {
            withdraw(id, name: state.name, store: store)
            throw .couldNotStart("the supervisor of '\(state.name)' (pid \(state.supervisorPID)) is gone")
        }
        let deadline = Posix.monotonicNanoseconds() + HTTPProbe.nanoseconds(timeout)
        while true {
            if let answer = acknowledgement(id, name: state.name, store: store) { return answer }
            if Posix.monotonicNanoseconds() >= deadline {
                withdraw(id, name: state.name, store: store)
                throw .couldNotStart("the supervisor of '\(state.name)' (pid \(state.supervisorPID)) did not answer the restart within \(timeout.meshbedDescription)")
            }
            Posix.sleep(nanoseconds: 20_000_000)
        }
    }

    /// Writes `request` as `requests/restart-ID.json` (whole, via a rename) and returns ID.
    public static func submit(_ request: Request, name: String, store: StateDirectory) throws(OrchestratorError) -> String {
        let id = UUID().uuidString.lowercased()
        let directory = store.requestsDirectory(of: name)
        let path = directory + "/restart-\(id).json"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let temporary = directory + "/.restart-\(id).tmp"
            try JSONEncoder().encode(request).write(to: URL(fileURLWithPath: temporary))
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            throw .couldNotStart("\(path): cannot write the restart request: \(FileErrorReason.of(error))")
        }
        return id
    }

    /// The answer to request `id` (read and removed), or nil while there is none.
    public static func acknowledgement(_ id: String, name: String, store: StateDirectory) -> Acknowledgement? {
        let path = store.requestsDirectory(of: name) + "/restart-\(id).done"
        guard let data = FileManager.default.contents(atPath: path),
              let answer = try? JSONDecoder().decode(Acknowledgement.self, from: data)
        else { return nil }
        try? FileManager.default.removeItem(atPath: path)
        return answer
    }

    /// Supervisor side: every pending request (oldest name first), each read and removed.
    /// A request that cannot be read is answered with a failure at once.
    public static func pending(name: String, store: StateDirectory) -> [(id: String, request: Request)] {
        let directory = store.requestsDirectory(of: name)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var result: [(id: String, request: Request)] = []
        for entry in entries.sorted() where entry.hasPrefix("restart-") && entry.hasSuffix(".json") {
            let id = String(entry.dropFirst("restart-".count).dropLast(".json".count))
            let path = directory + "/" + entry
            let data = FileManager.default.contents(atPath: path)
            try? FileManager.default.removeItem(atPath: path)
            if let data, let request = try? JSONDecoder().decode(Request.self, from: data) {
                result.append((id, request))
            } else {
                acknowledge(id, Acknowledgement(restarted: [], failure: "unreadable restart request \(path)"), name: name, store: store)
            }
        }
        return result
    }

    /// Supervisor side: answers request `id` with `requests/restart-ID.done` (whole, via a rename).
    public static func acknowledge(_ id: String, _ answer: Acknowledgement, name: String, store: StateDirectory) {
        let directory = store.requestsDirectory(of: name)
        let temporary = directory + "/.restart-\(id).done.tmp"
        do {
            try JSONEncoder().encode(answer).write(to: URL(fileURLWithPath: temporary))
            try FileManager.default.moveItem(atPath: temporary, toPath: directory + "/restart-\(id).done")
        } catch {
            Console.error("meshbed up: cannot answer restart request \(id): \(FileErrorReason.of(error))")
        }
    }

    /// Removes request `id` and any answer to it (the asker gave up).
    static func withdraw(_ id: String, name: String, store: StateDirectory) {
        let directory = store.requestsDirectory(of: name)
        try? FileManager.default.removeItem(atPath: directory + "/restart-\(id).json")
        try? FileManager.default.removeItem(atPath: directory + "/restart-\(id).done")
    }
}
