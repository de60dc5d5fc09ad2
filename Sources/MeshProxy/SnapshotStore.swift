import MeshConfig
import Synchronization

/// The sidecar's current configuration, shared by its loops: the control client writes
/// it, each loop reads its version atomically and copies the table only when it moved.
final class SnapshotStore: Sendable {
    private let state = Mutex<(table: RoutingTable, snapshot: MeshSnapshot?)>((RoutingTable.empty, nil))
    private let currentVersion = Atomic<Int>(0)
    /// Whose faults a snapshot's are compiled for (the sidecar's service, version, seed).
    let faultOwner: FaultSet.Owner

    init(faultOwner: FaultSet.Owner = FaultSet.Owner()) {
        self.faultOwner = faultOwner
    }

    /// The version loops compare against their copy.
    var version: Int { currentVersion.load(ordering: .acquiring) }

    /// The compiled table.
    var table: RoutingTable { state.withLock { $0.table } }

    /// The snapshot as received, for `/config`.
    var snapshot: MeshSnapshot? { state.withLock { $0.snapshot } }

    /// Installs a new snapshot (one whose policies do not resolve is refused, and the
    /// current one stays).
    func apply(_ snapshot: MeshSnapshot) throws(ConfigError) {
        apply(try RoutingTable(snapshot, previous: table, faultOwner: faultOwner), from: snapshot)
    }

    /// Installs `table`, compiled from `snapshot` (tests adjust a compiled table).
    func apply(_ table: RoutingTable, from snapshot: MeshSnapshot) {
        state.withLock { $0 = (table, snapshot) }
        currentVersion.store(snapshot.version, ordering: .releasing)
    }
}
