import MeshMetrics
import MeshOrchestrator

/// One reading of every sidecar's `/metrics` (each instance's admin port and the ingress
/// gateway's), parsed, for metric expectations measured as their change over a step.
struct SidecarScrapes {
    /// One sidecar's samples; nil when its admin port did not answer with a scrape.
    var readings: [(name: String, samples: [PrometheusSample]?)]

    /// Reads every sidecar of `state`.
    static func read(_ state: MeshState) -> SidecarScrapes {
        SidecarScrapes(readings: state.sidecarAdmins.map { ($0.name, scrape($0.admin)) })
    }

    /// The samples of `admin`'s `/metrics`.
    static func scrape(_ admin: String) -> [PrometheusSample]? {
        guard let (status, body) = HTTPProbe.get(address: admin, path: "/metrics", timeout: .milliseconds(500)), status == 200 else { return nil }
        return try? PrometheusSample.parse(String(decoding: body, as: UTF8.self))
    }

    /// What a metric expectation measured between `before` and `after`: the growth of what
    /// `selector` picks, summed over the sidecars, and whether `comparison` holds. A sidecar
    /// that did not answer either time makes it fail, named; one whose sum went down was
    /// restarted during the step: its count since then is used.
    static func measure(_ selector: MetricSelector, _ comparison: Comparison, before: SidecarScrapes, after: SidecarScrapes) -> (measured: String, passed: Bool) {
        let earlier = Dictionary(before.readings.map { ($0.name, $0.samples) }, uniquingKeysWith: { first, _ in first })
        var silent: [String] = []
        var total = 0.0
        for reading in after.readings {
            guard let now = reading.samples, let then = earlier[reading.name] ?? nil else {
                silent.append(reading.name)
                continue
            }
            let (a, b) = (selector.sum(then), selector.sum(now))
            total += b >= a ? b - a : b
        }
        guard !after.readings.isEmpty else { return ("no sidecar to scrape", false) }
        let measured = comparison.format(total) + " over \(after.readings.count - silent.count) sidecars"
        if !silent.isEmpty { return (measured + "; no /metrics from \(silent.joined(separator: ", "))", false) }
        return (measured, comparison.holds(total))
    }
}
