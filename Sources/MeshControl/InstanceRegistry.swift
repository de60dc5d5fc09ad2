import MeshConfig
import MeshIO
import MeshTopology

/// What the control plane knows about every instance of its topology and about the ingress
/// gateway: registration (the first heartbeat), health, and the last acknowledgement.
/// A value with no I/O: the caller passes the time (CLOCK_MONOTONIC nanoseconds).
///
/// An instance is healthy while its last heartbeat is at most `heartbeatTimeout` old (time
/// the control plane itself did not run is `credit`ed) and said `ready: true`, and it is not
/// marked down. Health changes only on a heartbeat, on
/// `expire(now:)` and on `markDown`, so what `statuses` reports always matches the endpoints
/// of the current snapshot.
///
/// A down mark (its app or sidecar ended) holds until the sidecar shows that it noticed: a
/// heartbeat with `ready: false` (a sidecar whose app died, or a new sidecar, which starts
/// not ready) or one from another sidecar process (`incarnation`). Heartbeats sent before the
/// end and arriving after the mark cannot bring a dead instance back.
struct InstanceRegistry {
    /// One instance's state.
    struct Record {
        let id: String
        let service: String
        /// The topology's version (for the ingress gateway: what it last reported).
        var version: String
        /// Whether it has sent a heartbeat since the control plane started.
        var registered = false
        var inbound = ""
        var ready = false
        var lastSeen: UInt64 = 0
        var healthy = false
        /// Its app or sidecar ended; unroutable until a heartbeat shows the sidecar noticed.
        var down = false
        /// The `incarnation` of the last heartbeat.
        var incarnation: String?
        /// Its sidecar's admin address, as its heartbeats tell it (nil: not told).
        var admin: SocketAddress?
        var ackedVersion: Int?
        var rejected: Ack?
    }

    /// The id, service and version the ingress gateway heartbeats with (its version is free).
    static let ingress = Topology.ingressCaller

    /// Topology instances in `Topology.instances` order, then the ingress gateway.
    private(set) var records: [Record]
    private var indexByID: [String: Int]
    let heartbeatTimeout: UInt64

    init(topology: Topology, heartbeatTimeout: UInt64) {
        var records = topology.instances.map { Record(id: $0.id, service: $0.service, version: $0.version) }
        records.append(Record(id: Self.ingress, service: Self.ingress, version: ""))
        self.records = records
        self.indexByID = Dictionary(uniqueKeysWithValues: records.enumerated().map { ($0.element.id, $0.offset) })
        self.heartbeatTimeout = heartbeatTimeout
    }

    /// Whether `id` is a topology instance or the ingress gateway.
    func knows(_ id: String) -> Bool { indexByID[id] != nil }

    /// The record of `id`, if known.
    subscript(id: String) -> Record? { indexByID[id].map { records[$0] } }

    /// Records a heartbeat; the first one registers the instance. Rejects unknown ids, a
    /// service or version that does not match the topology, and an unusable inbound address.
    mutating func heartbeat(_ heartbeat: Heartbeat, now: UInt64) throws(ControlError) {
        let index = try indexOf(heartbeat.instance)
        let record = records[index]
        let isIngress = record.id == Self.ingress
        guard heartbeat.service == record.service else {
            throw .badRequest("instance '\(record.id)' belongs to service '\(record.service)', heartbeat says '\(heartbeat.service)'")
        }
        if !isIngress, heartbeat.version != record.version {
            throw .badRequest("instance '\(record.id)' is version '\(record.version)', heartbeat says '\(heartbeat.version)'")
        }
        if !isIngress {
            guard let address = SocketAddress(heartbeat.inbound), address.port != 0 else {
                throw .badRequest("inbound: expected an address such as 127.0.0.1:15001, got '\(heartbeat.inbound)'")
            }
        }
        if isIngress { records[index].version = heartbeat.version }
        if record.down, !heartbeat.ready || heartbeat.incarnation != record.incarnation {
            records[index].down = false
        }
        records[index].registered = true
        records[index].inbound = heartbeat.inbound
        records[index].ready = heartbeat.ready
        records[index].incarnation = heartbeat.incarnation
        if let admin = heartbeat.admin { records[index].admin = SocketAddress(admin) }
        records[index].lastSeen = now
        records[index].healthy = heartbeat.ready && !records[index].down
    }

    /// Marks `id` down: its app or sidecar ended. Returns whether its health changed.
    mutating func markDown(_ id: String) throws(ControlError) -> Bool {
        guard let index = indexByID[id] else {
            throw ControlError(status: 404, "unknown instance '\(id)'; not in the topology")
        }
        records[index].down = true
        let wasHealthy = records[index].healthy
        records[index].healthy = false
        return wasHealthy
    }

    /// Marks every instance whose last heartbeat is older than `heartbeatTimeout` unhealthy.
    /// Returns whether any instance changed.
    mutating func expire(now: UInt64) -> Bool {
        var changed = false
        for index in records.indices where records[index].healthy {
            if now > records[index].lastSeen, now - records[index].lastSeen > heartbeatTimeout {
                records[index].healthy = false
                changed = true
            }
        }
        return changed
    }

    /// Moves every last heartbeat `pause` later (never past `now`): time the control plane did
    /// not run, when the heartbeats sent to it could not be read, counts against no one.
    mutating func credit(pause: UInt64, now: UInt64) {
        for index in records.indices where records[index].registered {
            records[index].lastSeen = min(now, records[index].lastSeen &+ pause)
        }
    }

    /// Records an acknowledgement: applied (`error` nil) or rejected. An applied version
    /// must have been issued (1...currentVersion); a rejection is recorded whatever its
    /// version (a sidecar that could not decode a snapshot does not know its version).
    mutating func ack(_ ack: Ack, currentVersion: Int) throws(ControlError) {
        let index = try indexOf(ack.instance)
        if ack.error == nil, !(1...currentVersion).contains(ack.version) {
            throw .badRequest("version: \(ack.version) was never issued (current version is \(currentVersion))")
        }
        if ack.error == nil {
            records[index].ackedVersion = ack.version
            records[index].rejected = nil
        } else {
            records[index].rejected = ack
        }
    }

    /// Where `version` stands among the live sidecars (healthy ones, the ingress included).
    enum Application: Equatable {
        /// Every live sidecar applied it or a later version.
        case applied
        /// These live sidecars (ids) have not yet.
        case waiting([String])
        /// This live sidecar rejected it (or a later version), for this reason.
        case rejected(instance: String, reason: String)
    }

    /// Where `version` stands among the live sidecars.
    func application(of version: Int) -> Application {
        let live = records.filter(\.healthy)
        if let rejecting = live.first(where: { ($0.rejected?.version ?? -1) >= version && ($0.ackedVersion ?? 0) < version }) {
            return .rejected(instance: rejecting.id, reason: rejecting.rejected?.error ?? "no reason given")
        }
        let waiting = live.filter { ($0.ackedVersion ?? 0) < version }.map(\.id)
        return waiting.isEmpty ? .applied : .waiting(waiting)
    }

    /// Healthy endpoints of the topology's instances: service → version → endpoints sorted
    /// by id. Services and versions without a healthy endpoint are absent.
    func endpoints() -> [String: [String: [Endpoint]]] {
        var result: [String: [String: [Endpoint]]] = [:]
        for record in records where record.healthy && record.id != Self.ingress {
            result[record.service, default: [:]][record.version, default: []].append(Endpoint(id: record.id, address: record.inbound))
        }
        for (service, versions) in result {
            for (version, endpoints) in versions {
                result[service]![version] = endpoints.sorted { $0.id < $1.id }
            }
        }
        return result
    }

    /// Every topology instance (unregistered ones unhealthy, `lastSeenMillis` -1), then the
    /// ingress gateway once it has sent a heartbeat.
    func statuses(now: UInt64) -> [InstanceStatus] {
        records.compactMap { record in
            if record.id == Self.ingress, !record.registered { return nil }
            let age = record.registered ? Int((now > record.lastSeen ? now - record.lastSeen : 0) / 1_000_000) : -1
            return InstanceStatus(
                instance: record.id, service: record.service, version: record.version, inbound: record.inbound,
                healthy: record.healthy, lastSeenMillis: age, ackedVersion: record.ackedVersion, rejected: record.rejected)
        }
    }

    private func indexOf(_ id: String) throws(ControlError) -> Int {
        guard let index = indexByID[id] else {
            throw .badRequest("instance: unknown instance '\(id)'; not in the topology")
        }
        return index
    }
}
