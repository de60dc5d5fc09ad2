import MeshMetrics

/// The sidecar's `/metrics` (SPEC §5): Prometheus text format 0.0.4, what every loop counted,
/// added up. Requests by label set with their durations (from the decision records), the
/// pipeline's counters (retries, ejections, faults, TLS, …), each fault's matches and
/// injections, the configuration version and the certificate's expiry.
enum SidecarMetrics {
    /// Each `/stats` counter's metric name and help (every counter but `requests`, which
    /// `meshbed_requests_total` says by label set).
    static let counterNames: [String: (metric: String, help: String)] = [
        "retries": ("meshbed_retries_total", "Retry attempts (attempts after a request's first)."),
        "timeouts": ("meshbed_timeouts_total", "Requests answered 504 because the route timeout passed."),
        "perTryTimeouts": ("meshbed_per_try_timeouts_total", "Attempts that passed their per-try timeout."),
        "budgetExhausted": ("meshbed_retry_budget_exhausted_total", "Retries not made because the destination's retry budget was spent."),
        "ejections": ("meshbed_ejections_total", "Endpoints ejected by outlier detection."),
        "overflows": ("meshbed_overflows_total", "Requests answered 503 at once because a connection-pool limit was reached."),
        "localReplies": ("meshbed_local_replies_total", "Requests the sidecar answered itself (404, 408, 502, 503, 504, ...)."),
        "mirrored": ("meshbed_mirrored_requests_total", "Copies of requests sent to a mirror version."),
        "mirrorFailures": ("meshbed_mirror_failures_total", "Mirrored copies that failed (never seen by callers)."),
        "inboundTLS": ("meshbed_inbound_tls_connections_total", "Inbound connections that spoke mutual TLS."),
        "inboundPlaintext": ("meshbed_inbound_plaintext_connections_total", "Inbound connections that spoke plaintext (permissive mode)."),
        "tlsRejected": ("meshbed_tls_rejections_total", "TLS handshakes that failed or whose peer was refused, either side."),
        "authorizationDenied": ("meshbed_authorization_denied_total", "Requests answered 403 by the destination's authorization."),
        "faulted": ("meshbed_faulted_requests_total", "Requests at least one injected fault delayed or answered."),
        "partitioned": ("meshbed_partitioned_total", "Connections a partition kept from opening and requests it dropped."),
        "toxicBytesDelayed": ("meshbed_toxic_bytes_delayed_total", "Bytes link faults held before passing them on."),
        "toxicBytesDropped": ("meshbed_toxic_bytes_dropped_total", "Bytes link faults dropped."),
        "toxicResets": ("meshbed_toxic_resets_total", "Connections link faults reset."),
        "toxicCloses": ("meshbed_toxic_closes_total", "Connections link faults closed."),
        "faultDelays": ("meshbed_fault_delays_total", "Requests an injected fault delayed."),
        "faultAborts": ("meshbed_fault_aborts_total", "Requests an injected fault answered (abort)."),
        "spansReported": ("meshbed_spans_reported_total", "Trace spans sent to the control plane and taken."),
        "spansDropped": ("meshbed_spans_dropped_total", "Trace spans dropped: too many waiting, or a batch the control plane did not take."),
    ]

    /// The whole `/metrics` text.
    static func render(
        metrics: [RequestMetrics], counters: [ProxyCounters], faults: FaultSet?, configVersion: Int, certificateNotAfter: Int64?
    ) -> [UInt8] {
        var writer = PrometheusWriter()
        // Requests: the loops' series added up by label set, in a stable order.
        var totals: [RequestMetrics.Labels: HistogramSnapshot] = [:]
        for loop in metrics {
            for series in loop.series() {
                let snapshot = series.durations.snapshot()
                if totals[series.labels] == nil { totals[series.labels] = snapshot } else { totals[series.labels]!.add(snapshot) }
            }
        }
        let ordered = totals.sorted { Self.order($0.key, $1.key) }
        writer.family("meshbed_requests_total", .counter, help: "Requests this sidecar finished, by reporter, caller, destination, version, status and response flags.")
        for (labels, snapshot) in ordered { writer.sample("meshbed_requests_total", Self.labels(labels), integer: snapshot.count) }
        writer.family("meshbed_request_duration_seconds", .histogram, help: "How long requests took in this sidecar, from the request's head to the end of the answer.")
        for (labels, snapshot) in ordered { writer.histogram("meshbed_request_duration_seconds", Self.labels(labels), snapshot) }

        for (name, value) in ProxyCounters.totals(counters) {
            guard let (metric, help) = counterNames[name] else { continue }
            writer.family(metric, .counter, help: help)
            writer.sample(metric, integer: value)
        }
        let rules = faults?.all ?? []
        writer.family("meshbed_fault_matched_total", .counter, help: "Requests in an injected fault's scope, by fault id.")
        for rule in rules { writer.sample("meshbed_fault_matched_total", [("fault", rule.id)], integer: rule.counter.matched.load(ordering: .relaxed)) }
        writer.family("meshbed_fault_injected_total", .counter, help: "Requests an injected fault fired on, by fault id.")
        for rule in rules { writer.sample("meshbed_fault_injected_total", [("fault", rule.id)], integer: rule.counter.injected.load(ordering: .relaxed)) }

        writer.family("meshbed_config_version", .gauge, help: "The control plane's snapshot version this sidecar routes with (0: none yet).")
        writer.sample("meshbed_config_version", integer: configVersion)
        if let certificateNotAfter {
            writer.family("meshbed_certificate_expiry_timestamp_seconds", .gauge, help: "When this sidecar's workload certificate expires (Unix time).")
            writer.sample("meshbed_certificate_expiry_timestamp_seconds", integer: Int(certificateNotAfter))
        }
        writer.family("meshbed_metrics_series_dropped_total", .counter, help: "Requests not counted by label set because a loop already had the most label sets it keeps.")
        writer.sample("meshbed_metrics_series_dropped_total", integer: metrics.reduce(0) { $0 + $1.dropped.load(ordering: .relaxed) })
        return writer.bytes
    }

    private static func labels(_ labels: RequestMetrics.Labels) -> [(String, String)] {
        [("reporter", labels.reporter.name), ("source", labels.source), ("destination", labels.destination),
         ("destination_version", labels.destinationVersion), ("response_code", String(labels.responseCode)),
         ("response_flags", ResponseFlags(rawValue: labels.flags).codeText)]
    }

    private static func order(_ a: RequestMetrics.Labels, _ b: RequestMetrics.Labels) -> Bool {
        (a.reporter.rawValue, a.destination, a.destinationVersion, a.source, a.responseCode, a.flags)
            < (b.reporter.rawValue, b.destination, b.destinationVersion, b.source, b.responseCode, b.flags)
    }
}
