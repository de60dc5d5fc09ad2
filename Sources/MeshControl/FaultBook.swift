import MeshConfig
import MeshCore
import MeshTopology

/// The faults in force on a running topology (SPEC §6), in the order they were added: the
/// topology's `faults:` first, then those added through the API. Each gets the next id
/// (`f1`, `f2`, …, never reused within a run, so a seeded run names its faults the same
/// way every time) and, with a `duration`, a deadline after which it clears itself. A
/// value with no I/O; `ControlState` keeps it and publishes every change in a snapshot.
struct FaultBook {
    /// One fault in force.
    struct Entry {
        let config: FaultConfig
        /// The fault as the model has it.
        let spec: FaultSpec
        /// Where it clears itself (the control plane's clock, nanoseconds); nil: when cleared.
        let expiresAt: UInt64?
    }

    private(set) var entries: [Entry] = []
    private var nextNumber = 1

    /// The faults as snapshots carry them.
    var configs: [FaultConfig] { entries.map(\.config) }

    /// The earliest deadline of a fault with a `duration`.
    var nextExpiry: UInt64? { entries.compactMap(\.expiresAt).min() }

    /// Adds `spec` at time `now`, under `name` when it came through the Toxiproxy API;
    /// returns it with its id.
    @discardableResult
    mutating func add(_ spec: FaultSpec, name: String? = nil, now: UInt64) -> FaultConfig {
        var config = FaultConfig(id: "f\(nextNumber)", spec: spec)
        config.name = name
        nextNumber += 1
        let expiresAt = spec.duration.map { now &+ UInt64(clamping: $0.meshbedNanoseconds) }
        entries.append(Entry(config: config, spec: spec, expiresAt: expiresAt))
        return config
    }

    /// Removes the fault `id`; false when there is none.
    mutating func remove(id: String) -> Bool {
        guard let index = entries.firstIndex(where: { $0.config.id == id }) else { return false }
        entries.remove(at: index)
        return true
    }

    /// Gives the fault `id` new settings, keeping its id, name and deadline (a Toxiproxy
    /// toxic's update: the sidecars swap the toxic in place on live connections).
    mutating func replace(id: String, with spec: FaultSpec) {
        guard let index = entries.firstIndex(where: { $0.config.id == id }) else { return }
        let old = entries[index]
        var config = FaultConfig(id: id, spec: spec)
        config.name = old.config.name
        entries[index] = Entry(config: config, spec: spec, expiresAt: old.expiresAt)
    }

    /// Removes the faults `shouldRemove` picks; returns how many.
    mutating func remove(where shouldRemove: (Entry) -> Bool) -> Int {
        let before = entries.count
        entries.removeAll(where: shouldRemove)
        return before - entries.count
    }

    /// Removes every fault; returns how many there were.
    mutating func removeAll() -> Int {
        defer { entries.removeAll() }
        return entries.count
    }

    /// Removes the faults whose time is up at `now`; returns how many.
    mutating func expire(now: UInt64) -> Int {
        let before = entries.count
        entries.removeAll { $0.expiresAt.map { $0 <= now } ?? false }
        return before - entries.count
    }
}
