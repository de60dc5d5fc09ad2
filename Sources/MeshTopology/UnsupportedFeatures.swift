import MeshYAML

/// Parts of a topology file that are read and validated but not enforced yet, refused
/// as "not supported yet" when a file is loaded (SPEC §2: a feature that is not enforced
/// is refused, never silently ignored). `validate`, `up`, `run`, `test` and the control
/// plane all read files through `Topology.load`, so this is the one place that refuses them.
///
/// Single keys are refused through one table, `refusedKeys`, each entry naming what lifts
/// it: the change that enforces a key deletes its entry (and its test). The model
/// (`Topology.validate(document:file:)`) keeps reading every section, so parser tests do
/// not depend on this list.
///
/// Checked and kept (they do have an effect): `faults` of the kinds the sidecars inject
/// (`enforcedFaultKinds`; the others are refused per entry), `mesh` (mutual TLS between sidecars, workload
/// identities and certificates), `authorization` (enforced by each destination's inbound
/// sidecar), `ingress.port`, services' `calls`, `replicas`, `behavior` (echo app
/// arguments) and `app`, `routes` (`match`, `split` and `mirror`, carried by the control
/// plane's snapshots to every sidecar), and `policies` (timeouts, retries, circuit breaking
/// and load balancing, enforced by every caller's sidecar).
public enum UnsupportedFeatures {
    /// One refused key: where it sits and what to say there.
    struct Refusal {
        /// Keys from the top, separated by `.`: `*` is any key, and `[]` after a component
        /// means its value is a list whose every item goes on to the next component.
        let path: String
        /// The whole message, logged at the key: `KEY: not supported yet (WHY); remove it`.
        let message: String
    }

    /// Every refused key (messages are sorted by place, so the order here does not matter).
    /// Empty since mutual TLS lifted `mesh.certTTL`; kept for the next feature that is read
    /// before it is enforced.
    static let refusedKeys: [Refusal] = []

    /// The fault kinds `faults:` (and every other way of adding a fault) may use so far:
    /// the request-level and link faults, applied by the sidecars. The others are refused per entry, with why.
    public static let enforcedFaultKinds: Set<FaultKind> = [.delay, .abort, .latency, .bandwidth, .reset, .blackhole, .slowClose, .slicer, .limitData, .partition, .loss]

    /// Why a fault of `kind` is refused, or nil when it is enforced.
    public static func faultRefusal(_ kind: FaultKind) -> String? {
        // `resume` and `restart` happen once: the validator says they cannot be in `faults:`.
        if enforcedFaultKinds.contains(kind) || !kind.isLasting { return nil }
        if kind.isProcessLevel {
            return "kind: \(kind.rawValue) faults from the start are not supported yet (use a scenario step or `meshbed fault add`); remove it"
        }
        return "kind: \(kind.rawValue) faults are not supported yet; remove it"
    }

    /// Logs one error per refused feature of a topology document (a mapping whose `kind`, if
    /// any, is `Topology`; anything else has already been reported by the validator).
    static func check(_ document: YAMLNode, log: inout DiagnosticLog) {
        guard let top = document.pairs else { return }
        if let kind = document.value(for: "kind"), kind.scalarText != Topology.kind { return }
        func entry(_ pairs: [YAMLPair], _ key: String) -> YAMLPair? {
            pairs.first { $0.key.scalarText == key }
        }

        for item in entry(top, "faults")?.value.items ?? [] {
            guard let kindNode = item.value(for: "kind"), let kind = kindNode.scalarText.flatMap(FaultKind.init(rawValue:)) else { continue }
            if let message = faultRefusal(kind) { log.error(message, at: kindNode.mark) }
        }
        for refusal in refusedKeys {
            for pair in keys(at: refusal.path.split(separator: ".")[...], in: document) {
                log.error(refusal.message, at: pair.key.mark)
            }
        }
    }

    /// The entries of `node` (and below) that `path` (see `Refusal.path`) names.
    static func keys(at path: ArraySlice<Substring>, in node: YAMLNode) -> [YAMLPair] {
        guard let component = path.first, let pairs = node.pairs else { return [] }
        let eachItem = component.hasSuffix("[]")
        let key = eachItem ? component.dropLast(2) : component
        let rest = path.dropFirst()
        var found: [YAMLPair] = []
        for pair in pairs where key == "*" || pair.key.scalarText.map({ $0[...] == key }) == true {
            if rest.isEmpty {
                found.append(pair)
            } else {
                for child in eachItem ? pair.value.items ?? [] : [pair.value] {
                    found += keys(at: rest, in: child)
                }
            }
        }
        return found
    }
}
