import FoundationEssentials
import MeshCore
import MeshHTTP
import MeshHTTPIO
import MeshMetrics
import MeshTLS

/// The sidecar's admin port: `/ready` (200 once it has a snapshot and its app answers),
/// `/config` (the snapshot version and content it routes with), `/stats` (what its
/// pipeline counted: requests, retries, timeouts…, summed over its loops), `/certs` (with
/// mTLS: its identity, certificate chain, trusted roots and renewals), `/metrics` (the same
/// and requests by label set, in Prometheus's text format).
final class AdminHandler: HTTPRequestHandler {
    private let store: SnapshotStore
    private let health: AppHealth
    private let instance: String
    private let counters: [ProxyCounters]
    private let metrics: [RequestMetrics]
    private let identity: WorkloadIdentity?

    init(store: SnapshotStore, health: AppHealth, instance: String, counters: [ProxyCounters], metrics: [RequestMetrics], identity: WorkloadIdentity?) {
        self.store = store
        self.health = health
        self.instance = instance
        self.counters = counters
        self.metrics = metrics
        self.identity = identity
    }

    /// Whether the sidecar has what the mesh needs of it to carry traffic: a certificate when
    /// the snapshot says mTLS.
    private var hasCertificate: Bool {
        store.table.security == nil || identity?.credentials != nil
    }

    private var path = ""

    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {
        path = String(decoding: head.path, as: UTF8.self)
    }

    func requestEnd(on exchange: HTTPServerConnection) {
        answer(on: exchange)
    }

    func answer(on exchange: HTTPServerConnection) {
        switch path {
        case "/ready":
            let certified = hasCertificate
            let ready = store.version > 0 && health.isReady && certified
            var body: [UInt8] = []
            JSONWriter.object(into: &body) { json in
                json.field("ready", bool: ready)
                json.field("configVersion", integer: store.version)
                json.field("appReady", bool: health.isReady)
                if store.table.security != nil {
                    json.field("certificate", bool: certified)
                    if !certified { json.field("certificateProblem", string: certificateProblem) }
                }
            }
            body.append(10)
            respondJSON(ready ? 200 : 503, body, on: exchange)
        case "/config":
            var body: [UInt8] = []
            let snapshot = store.snapshot.flatMap { try? JSONEncoder().encode($0) }.map { [UInt8]($0) } ?? Array("null".utf8)
            JSONWriter.object(into: &body) { json in
                json.field("instance", string: instance)
                json.field("version", integer: store.version)
                json.field("snapshot", raw: snapshot)
            }
            body.append(10)
            respondJSON(200, body, on: exchange)
        case "/stats":
            respondJSON(200, ProxyCounters.json(counters, faults: store.table.faults), on: exchange)
        case "/certs":
            respondJSON(200, certificatesJSON(), on: exchange)
        case "/metrics":
            let body = SidecarMetrics.render(metrics: metrics, counters: counters, faults: store.table.faults, configVersion: store.version,
                                             certificateNotAfter: identity?.credentials?.grant.notAfter)
            exchange.sendHead(status: 200, contentLength: body.count) { $0.append(contentsOf: Self.metricsContentType) }
            body.withUnsafeBytes { exchange.writeBody($0) }
            exchange.endResponse()
        default:
            var body: [UInt8] = []
            JSONWriter.object(into: &body) { $0.field("error", string: "no admin endpoint '\(path)'; try /ready, /config, /stats, /metrics or /certs") }
            body.append(10)
            respondJSON(404, body, on: exchange)
        }
    }

    /// Why there is no certificate yet.
    private var certificateProblem: String {
        guard let identity else { return "no bootstrap token (MESHBED_BOOTSTRAP_TOKEN): this sidecar cannot ask the CA for a certificate" }
        return identity.renewalCounts.lastError ?? "waiting for the CA"
    }

    /// `/certs`: `{"mtls": MODE|null, "identity", "notAfter", "expires", "chain": [...],
    /// "trustedRoots": [...], "renewals", "renewalFailures", "lastError"}`.
    private func certificatesJSON() -> [UInt8] {
        let credentials = identity?.credentials
        let counts = identity?.renewalCounts
        var body: [UInt8] = []
        JSONWriter.object(into: &body) { json in
            if let mode = store.table.security?.mtls.mode { json.field("mtls", string: mode.rawValue) } else { json.fieldNull("mtls") }
            if let grant = credentials?.grant {
                json.field("identity", string: grant.identity)
                json.field("notAfter", string: CertificateInfo.rfc3339(grant.notAfter))
                json.field("chain", array: { Self.certificates(Array(grant.certificateChain.utf8), into: &$0) })
                json.field("trustedRoots", array: { Self.certificates(Array(grant.trustedRoots.utf8), into: &$0) })
            } else {
                json.fieldNull("identity")
                if store.table.security != nil { json.field("problem", string: certificateProblem) }
            }
            json.field("renewals", integer: counts?.renewals ?? 0)
            json.field("renewalFailures", integer: counts?.failures ?? 0)
            if let error = counts?.lastError { json.field("lastError", string: error) }
        }
        body.append(10)
        return body
    }

    private static func certificates(_ pem: [UInt8], into array: inout JSONArrayWriter) {
        for info in (try? CertificateInfo.chain(pem)) ?? [] {
            array.element(object: { json in
                json.field("subject", string: info.subject)
                json.field("issuer", string: info.issuer)
                json.field("serial", string: info.serial)
                json.field("notBefore", string: CertificateInfo.rfc3339(info.notBefore))
                json.field("notAfter", string: CertificateInfo.rfc3339(info.notAfter))
                json.field("uris", array: { uris in for uri in info.uris { uris.element(string: uri) } })
                json.field("isCA", bool: info.isCA)
                json.field("key", string: info.key)
            })
        }
    }

    private static let metricsContentType: [UInt8] = Array("content-type: \(PrometheusWriter.contentType)\r\n".utf8)

    private func respondJSON(_ status: Int, _ body: [UInt8], on exchange: HTTPServerConnection) {
        exchange.respond(status: status, headers: { $0.append(contentsOf: ProxyHeaders.jsonContentType) }, body: body)
    }
}
