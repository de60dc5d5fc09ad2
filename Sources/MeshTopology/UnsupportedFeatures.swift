import MeshYAML

/// Parts of a topology file that are read and validated but not enforced yet, refused
/// as "not supported yet" when a file is loaded (SPEC §2: a feature that is not enforced
/// is refused, never silently ignored). `validate`, `up`, `run`, `test` and the control
/// plane all read files through `Topology.load`, so this is the one place that refuses them.
///
/// Each entry below names what lifts it; the change that enforces a feature deletes its
/// entry (and its test). The model (`Topology.validate(document:file:)`) keeps reading
/// every section, so parser tests do not depend on this list.
///
/// Checked and kept (they do have an effect): `mesh.trustDomain` (the workload identity
/// `status` shows), `ingress.port`, services' `calls`, `replicas`, `behavior` (echo app
/// arguments) and `app`, and `routes` (`match` and `split`, carried by the control plane's
/// snapshots to every sidecar).
enum UnsupportedFeatures {
    /// Where mutual TLS is promised: `mesh.mtls` absent (the default is `strict`), `strict`
    /// or `permissive`. Lifted by issue 9 (mutual TLS: certificates, identities, strict inbound).
    static let mtlsDefault = "mesh.mtls: mutual TLS is not supported yet; set 'mtls: disabled' under 'mesh:' (the default, strict, would be a promise meshbed cannot keep yet)"
    /// Lifted by issue 9.
    static func mtlsMode(_ mode: String) -> String {
        "mtls: '\(mode)' is not supported yet (mutual TLS is not enforced: traffic is plaintext); set 'mtls: disabled'"
    }
    /// `mesh.certTTL`: no certificates are issued. Lifted by issue 9.
    static let certTTL = "certTTL: not supported yet (no workload certificates are issued without mutual TLS); remove it"
    /// `policies:` (timeout, retries, circuit breaking, load balancing) with any entry. Lifted
    /// by issue 8 (the sidecar pipeline).
    static let policies = "policies: not supported yet (sidecars do not apply timeouts, retries, circuit breaking or load balancing policies); remove the section"
    /// `authorization:` with any entry. Lifted by issue 9 (authorization by identity).
    static let authorization = "authorization: not supported yet (sidecars do not check callers); remove the section"
    /// `faults:` with any entry. Lifted by issue 10 (fault injection).
    static let faults = "faults: not supported yet (faults are not injected); remove the section"
    /// A route's `mirror` (SPEC §3), not even read yet, so the route reader refuses it (in
    /// place of "unknown key"). Lifted by issue 8, which reads it (mirroring).
    static let routeMirror = "mirror: not supported yet (requests are not mirrored); remove it"

    /// Logs one error per refused feature of a topology document (a mapping whose `kind`, if
    /// any, is `Topology`; anything else has already been reported by the validator).
    static func check(_ document: YAMLNode, log: inout DiagnosticLog) {
        guard let top = document.pairs else { return }
        if let kind = document.value(for: "kind"), kind.scalarText != Topology.kind { return }
        func entry(_ pairs: [YAMLPair], _ key: String) -> YAMLPair? {
            pairs.first { $0.key.scalarText == key }
        }
        func hasEntries(_ node: YAMLNode) -> Bool {
            (node.pairs?.isEmpty == false) || (node.items?.isEmpty == false) || (node.scalarText != nil && !node.isNull)
        }

        // mesh.mtls: only `disabled` is kept; a value that is not a mode was reported already.
        if let mesh = entry(top, "mesh") {
            let fields = mesh.value.pairs ?? []
            if let mtls = entry(fields, "mtls") {
                if let mode = mtls.value.scalarText, mode == MeshSettings.MTLSMode.strict.rawValue || mode == MeshSettings.MTLSMode.permissive.rawValue {
                    log.error(Self.mtlsMode(mode), at: mtls.value.mark)
                }
            } else if mesh.value.pairs != nil || mesh.value.isNull {
                log.error(Self.mtlsDefault, at: mesh.key.mark)
            }
            if let ttl = entry(fields, "certTTL") { log.error(Self.certTTL, at: ttl.key.mark) }
        } else {
            log.error(Self.mtlsDefault, at: document.mark)
        }
        for (key, message) in [("policies", Self.policies), ("authorization", Self.authorization), ("faults", Self.faults)] {
            if let section = entry(top, key), hasEntries(section.value) { log.error(message, at: section.key.mark) }
        }
    }
}
