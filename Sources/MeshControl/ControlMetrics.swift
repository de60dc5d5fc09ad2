import MeshConfig
import MeshMetrics
import MeshTrace

/// The control plane's own `/metrics` (Prometheus text format 0.0.4): the snapshot version,
/// the instances by service and health, the sidecars that have not applied the current
/// version, the faults in force, the long polls held, the spans received and kept, and
/// what the OTLP exporter sent, dropped and failed to send.
enum ControlMetrics {
    /// The `content-type` header line of the answer.
    static let contentType: [UInt8] = Array("content-type: \(PrometheusWriter.contentType)\r\n".utf8)

    static func render(version: Int, instances: [InstanceStatus], faults: Int, heldPolls: Int,
                       spans: SpanStore, export: ExportQueue?) -> [UInt8] {
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
        var families: [(String, PrometheusWriter.Kind, String, Int)] = [
            ("meshbed_control_spans_received_total", .counter, "Spans the sidecars sent (POST /v1/spans) in valid bodies.", spans.received),
            ("meshbed_control_spans_dropped_total", .counter, "Spans received but not kept: their trace already held the most spans a trace may.", spans.dropped),
            ("meshbed_control_traces_evicted_total", .counter, "Traces forgotten (oldest first) to keep the most recent ones within the limits.", spans.evictedTraces),
            ("meshbed_control_traces", .gauge, "Traces held in memory.", spans.traceCount),
            ("meshbed_control_spans", .gauge, "Spans held in memory.", spans.spanCount),
        ]
        if let export {
            families += [
                ("meshbed_control_otlp_spans_exported_total", .counter, "Spans the OTLP collector took (2xx).", export.exported),
                ("meshbed_control_otlp_spans_dropped_total", .counter, "Spans dropped unsent: the export queue was full (collector slow or down).", export.dropped),
                ("meshbed_control_otlp_spans_failed_total", .counter, "Spans of export requests that failed (no connection, timeout, non-2xx); not retried.", export.failedSpans),
                ("meshbed_control_otlp_requests_failed_total", .counter, "Export requests that failed.", export.failedRequests),
                ("meshbed_control_otlp_queue", .gauge, "Spans waiting to be exported.", export.waiting),
            ]
        }
        for (name, kind, help, value) in families {
            writer.family(name, kind, help: help)
            writer.sample(name, integer: value)
        }
        return writer.bytes
    }
}
