import MeshConfig
import MeshMetrics

/// The control plane's own `/metrics` (Prometheus text format 0.0.4): the snapshot version,
/// the instances by service and health, the sidecars that have not applied the current
/// version, the faults in force and the long polls held.
enum ControlMetrics {
    /// The `content-type` header line of the answer.
    static let contentType: [UInt8] = Array("content-type: \(PrometheusWriter.contentType)\r\n".utf8)

    static func render(version: Int, instances: [InstanceStatus], faults: Int, heldPolls: Int) -> [UInt8] {
        var writer = PrometheusWriter()
        writer.family("meshbed_control_config_version", .gauge, help: "The snapshot version the control plane serves.")
        writer.sample("meshbed_control_config_version", integer: version)
        writer.family("meshbed_control_instances", .gauge, help: "Instances by service and state: healthy (heartbeat fresh, app ready), unhealthy, or unregistered (no heartbeat yet).")
        var counts: [String: [String: Int]] = [:]
        for instance in instances {
            let state = instance.lastSeenMillis < 0 ? "unregistered" : instance.healthy ? "healthy" : "unhealthy"
            counts[instance.service, default: ["healthy": 0, "unhealthy": 0, "unregistered": 0]][state, default: 0] += 1
        }
        for service in counts.keys.sorted() {
            for state in ["healthy", "unhealthy", "unregistered"] {
                writer.sample("meshbed_control_instances", [("service", service), ("state", state)], integer: counts[service]?[state] ?? 0)
            }
        }
        writer.family("meshbed_control_sidecars_behind", .gauge, help: "Healthy sidecars that have not applied the current snapshot version.")
        writer.sample("meshbed_control_sidecars_behind", integer: instances.filter { $0.healthy && ($0.ackedVersion ?? 0) < version }.count)
        writer.family("meshbed_control_faults", .gauge, help: "Faults in force.")
        writer.sample("meshbed_control_faults", integer: faults)
        writer.family("meshbed_control_held_polls", .gauge, help: "Snapshot long polls held open.")
        writer.sample("meshbed_control_held_polls", integer: heldPolls)
        return writer.bytes
    }
}
