import FoundationEssentials
import MeshOrchestrator

/// Every sidecar's admin counters at one moment (`GET /stats` on each instance's admin port
/// and the ingress gateway's), read generically by name. Counter expectations compare two
/// readings, one before a step's action and one after. A sidecar that does not answer is kept
/// (with no counters) so that the expectation can say so instead of summing fewer sidecars.
struct SidecarCounters {
    /// One sidecar's reading.
    struct Reading {
        /// The instance id, or `ingress`.
        var name: String
        /// The instance (nil: the ingress gateway).
        var instance: (service: String, version: String, index: Int)?
        /// The counters by name; nil when the admin port did not answer with a JSON object.
        var counters: [String: Int]?
    }

    var readings: [Reading]

    /// Reads every sidecar of `state`.
    static func read(_ state: MeshState) -> SidecarCounters {
        SidecarCounters(readings: state.sidecarAdmins.map { sidecar in
            Reading(name: sidecar.name, instance: sidecar.instance.map { ($0.service, $0.version, $0.index) }, counters: stats(sidecar.admin))
        })
    }

    /// The integer fields of an admin port's `/stats` object.
    static func stats(_ admin: String) -> [String: Int]? {
        guard let (status, body) = HTTPProbe.get(address: admin, path: "/stats", timeout: .milliseconds(500)), status == 200 else { return nil }
        return counters(json: body)
    }

    /// The integer fields of a `/stats` body (nil when it is not a JSON object).
    static func counters(json: [UInt8]) -> [String: Int]? {
        guard let object = JSONValue.parse(json)?.object else { return nil }
        var counters: [String: Int] = [:]
        for (name, value) in object {
            if let number = value.integerValue { counters[name] = number }
        }
        return counters
    }

    /// What a counter expectation measured between `before` and `after`: the growth of `name`
    /// summed over the sidecars in `scope`, and whether `comparison` holds. It does not hold
    /// (and the measured text says why) when a sidecar in the scope did not answer either
    /// time, when one does not report the counter, or when no sidecar is in the scope. A
    /// sidecar whose counter went down was restarted during the step: its count since then is used.
    static func measure(
        _ name: String, _ comparison: Comparison, scope: CounterScope, before: SidecarCounters, after: SidecarCounters
    ) -> (measured: String, passed: Bool) {
        let earlier = Dictionary(before.readings.map { ($0.name, $0.counters) }, uniquingKeysWith: { first, _ in first })
        let selected = after.readings.filter { scope.includes($0.instance) }
        guard !selected.isEmpty else { return ("no sidecar of \(scope) to read", false) }
        var silent: [String] = []
        var unreported: [String] = []
        var total = 0
        for reading in selected {
            guard let now = reading.counters, let then = earlier[reading.name] ?? nil else {
                silent.append(reading.name)
                continue
            }
            guard let value = now[name] else {
                unreported.append(reading.name)
                continue
            }
            let start = then[name] ?? 0
            total += value >= start ? value - start : value
        }
        func list(_ names: [String]) -> String {
            names.count <= 3 ? names.joined(separator: ", ") : names.prefix(3).joined(separator: ", ") + " and \(names.count - 3) more"
        }
        if !unreported.isEmpty, unreported.count + silent.count == selected.count {
            return ("no sidecar reports '\(name)'" + (silent.isEmpty ? "" : " (\(list(silent)) did not answer /stats)"), false)
        }
        var measured = comparison.format(Double(total))
        var notes: [String] = []
        if !silent.isEmpty { notes.append("\(list(silent)) did not answer /stats") }
        if !unreported.isEmpty { notes.append("\(list(unreported)) do\(unreported.count == 1 ? "es" : "") not report '\(name)'") }
        if !notes.isEmpty { measured += " (" + notes.joined(separator: "; ") + ")" }
        return (measured, notes.isEmpty && comparison.holds(Double(total)))
    }
}
