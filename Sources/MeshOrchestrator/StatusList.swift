import MeshCore

/// `meshbed status` without a NAME: every running topology on the machine, like `docker ps`,
/// from the per-user index (`TopologyIndex`), or those of one state directory with `--state-dir`.
///
/// JSON (SPEC §2): `{"topologies": [{"name", "stateDir", "supervisorPID", "runtime", "state",
/// "ready", "instances"}]}`, where `ready` counts the ready instances and `instances` all of
/// them; with nothing running, `{"topologies": []}`.
public struct StatusList: Sendable, Equatable {
    /// One running topology.
    public struct Row: Sendable, Equatable {
        public var name: String
        /// Its state directory.
        public var stateDirectory: String
        public var supervisorPID: Int32
        /// `ready`, `degraded`, `starting`, ... (`StatusReport.Overall`), or `unknown` when its
        /// state file cannot be read.
        public var state: String
        /// How many instances are ready.
        public var ready: Int
        /// How many instances it has.
        public var instances: Int
        /// `process` or `netns` (`MeshState.runtime`).
        public var runtime = "process"

        public init(name: String, stateDirectory: String, supervisorPID: Int32, state: String, ready: Int, instances: Int) {
            self.name = name
            self.stateDirectory = stateDirectory
            self.supervisorPID = supervisorPID
            self.state = state
            self.ready = ready
            self.instances = instances
        }
    }

    /// The running topologies, sorted by name and state directory.
    public var rows: [Row]

    public init(rows: [Row]) {
        self.rows = rows
    }

    /// Every running topology in `index` (only those in `stateDirectory`, when given, which
    /// also adds running ones there that the index does not know), each probed now.
    public static func gather(index: TopologyIndex, stateDirectory: String?) -> StatusList {
        var entries = index.entries()
        if let stateDirectory {
            let store = StateDirectory(stateDirectory)
            entries = entries.filter { $0.stateDirectory == store.root }
            for name in store.names() where !entries.contains(where: { $0.name == name }) {
                guard let state = (try? store.read(name)) ?? nil, TopologyLauncher.isSupervising(state) else { continue }
                entries.append(TopologyIndex.Entry(name: name, stateDirectory: store.root, supervisorPID: state.supervisorPID,
                                                   supervisorStartTime: state.supervisorStartTime))
            }
        }
        let rows = entries.map { entry in
            guard let state = (try? StateDirectory(entry.stateDirectory).read(entry.name)) ?? nil else {
                return Row(name: entry.name, stateDirectory: entry.stateDirectory, supervisorPID: entry.supervisorPID,
                           state: "unknown", ready: 0, instances: 0)
            }
            let report = StatusReport.probe(state, stateDirectory: entry.stateDirectory)
            var row = Row(name: entry.name, stateDirectory: entry.stateDirectory, supervisorPID: entry.supervisorPID,
                          state: report.overall.rawValue, ready: report.readyCount, instances: report.entries.count)
            row.runtime = state.runtime
            return row
        }
        return StatusList(rows: rows.sorted { ($0.name, $0.stateDirectory) < ($1.name, $1.stateDirectory) })
    }

    /// `{"topologies": [...]}`.
    public var json: String {
        var out: [UInt8] = []
        JSONWriter.object(into: &out) { object in
            object.field("topologies", array: { array in
                for row in rows {
                    array.element(object: { item in
                        item.field("name", string: row.name)
                        item.field("stateDir", string: row.stateDirectory)
                        item.field("supervisorPID", integer: row.supervisorPID)
                        item.field("runtime", string: row.runtime)
                        item.field("state", string: row.state)
                        item.field("ready", integer: row.ready)
                        item.field("instances", integer: row.instances)
                    })
                }
            })
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A table with a row per topology, or one line saying that none runs.
    public var table: String {
        guard !rows.isEmpty else { return "no topology is running (start one with 'meshbed up FILE --detach')" }
        var table = [["NAME", "STATE", "READY", "SUPERVISOR", "RUNTIME", "STATE DIR"]]
        for row in rows {
            table.append([row.name, row.state, "\(row.ready)/\(row.instances)", String(row.supervisorPID), row.runtime,
                          row.stateDirectory])
        }
        return StatusReport.columns(table).joined(separator: "\n")
    }
}
