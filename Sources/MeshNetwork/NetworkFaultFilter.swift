import MeshConfig
import MeshIO

/// Loads `NetworkFaultRules`' tables into the namespaces of a running netns topology with
/// `ip netns exec NAMESPACE iptables-restore`, only those that changed since the last load.
/// Owned by the control plane, which calls it whenever the faults in force change.
public final class NetworkFaultFilter {
    public let plan: NetnsPlan
    /// What each namespace holds now.
    private var loaded: [String: String] = [:]

    public init(plan: NetnsPlan) {
        self.plan = plan
    }

    /// Why faults of the network kinds cannot be enforced here, or nil when they can.
    public static func unavailableReason() -> String? {
        if let reason = NetnsNetwork.unavailableReason() { return reason }
        if restore == nil { return "partition and loss faults under --runtime netns need iptables (apt-get install iptables)" }
        return nil
    }

    static var restore: String? { Posix.findExecutable("iptables-restore", in: NetnsNetwork.directories) }

    /// Loads the tables for `faults`; throws the first failure (the namespaces before it
    /// hold their new tables).
    public func apply(_ faults: [FaultConfig]) throws(NetworkError) {
        let tables = NetworkFaultRules.tables(faults, plan: plan)
        for (namespace, table) in tables.sorted(by: { $0.key < $1.key }) where loaded[namespace] != table {
            if loaded[namespace] == nil, !table.contains("-A ") { loaded[namespace] = table; continue }  // nothing to clear yet
            guard let ip = NetnsNetwork.ip, let restore = Self.restore else {
                throw NetworkError(Self.unavailableReason() ?? "no iptables-restore")
            }
            let result: CommandResult
            do {
                result = try Posix.runCommand(ip, NetnsNetwork.exec(in: namespace, [restore]), environment: NetnsNetwork.environment,
                                              input: Array(table.utf8), timeoutNanoseconds: NetnsNetwork.commandTimeout)
            } catch {
                throw NetworkError("cannot run iptables-restore in \(namespace): \(error)")
            }
            guard result.succeeded else { throw NetworkError("\(namespace): " + result.failure("iptables-restore")) }
            loaded[namespace] = table
        }
    }
}
