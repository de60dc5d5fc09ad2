import MeshConfig
import MeshCore
import MeshYAML

/// The topology's `mesh:` section: mutual TLS mode and workload identity settings.
public struct MeshSettings: Sendable, Equatable {
    /// How sidecars treat plaintext on their inbound port.
    public enum MTLSMode: String, Sendable, Equatable, CaseIterable {
        /// Inbound refuses plaintext and any client without a valid mesh certificate (default).
        case strict
        /// Inbound accepts both mTLS and plaintext (callers without a certificate have no identity).
        case permissive
        /// Sidecars talk plaintext; no identities are checked.
        case disabled
    }

    /// `mtls`, default `strict`.
    public let mtls: MTLSMode
    /// `trustDomain`, the SPIFFE trust domain, default `meshbed.local`.
    public let trustDomain: String
    /// `certTTL`, the workload certificate lifetime, default 24h (at least 1s).
    public let certTTL: Duration
    /// `ca`, a root the team pins (PEM files); nil: the control plane makes one per topology
    /// in the state directory.
    public let ca: CAFiles?
    /// `accessLog`, one JSON line per request in every sidecar's log, default true.
    public let accessLog: Bool
    /// `tracing: {sampling: N}`, the percent of new traces whose spans sidecars record, default 100.
    public let tracingSampling: Double
    /// `tracing: {maxTracesPerSecond: N}`, the most new traces each sidecar records per second, default 100.
    public let maxTracesPerSecond: Int

    /// `mesh.ca`: the root certificate and its private key, PEM files. Relative paths are
    /// relative to the topology file's directory.
    public struct CAFiles: Sendable, Equatable {
        /// `cert`, the root certificate (PEM).
        public let cert: String
        /// `key`, its private key (PEM).
        public let key: String

        public init(cert: String, key: String) {
            self.cert = cert
            self.key = key
        }
    }

    public static let defaultTrustDomain = "meshbed.local"
    public static let defaultCertTTL: Duration = .seconds(24 * 3600)
    /// Every default: strict mTLS in `meshbed.local` with 24-hour certificates.
    public static let `default` = MeshSettings()

    public init(mtls: MTLSMode = .strict, trustDomain: String = defaultTrustDomain, certTTL: Duration = defaultCertTTL,
                ca: CAFiles? = nil, accessLog: Bool = true, tracingSampling: Double = 100, maxTracesPerSecond: Int = 100) {
        self.mtls = mtls
        self.trustDomain = trustDomain
        self.certTTL = certTTL
        self.ca = ca
        self.accessLog = accessLog
        self.tracingSampling = tracingSampling
        self.maxTracesPerSecond = maxTracesPerSecond
    }

    static let keys = ["mtls", "trustDomain", "certTTL", "ca", "accessLog", "tracing"]

    /// Whether `text` can be a SPIFFE trust domain: lowercase letters, digits, `.`, `-`, `_`.
    static func isValidTrustDomain(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 255 && text.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F
        }
    }

    /// Reads `mesh:`; an absent or empty section gives every default.
    static func read(_ node: YAMLNode, log: inout DiagnosticLog) -> MeshSettings? {
        guard let fields = MappingReader(node, key: "mesh", context: "in mesh", allowed: keys, log: &log) else { return nil }
        var valid = true
        var mtls = MTLSMode.strict
        if let value = fields["mtls"] {
            if let mode = ValueReader.choice(value, key: "mtls", as: MTLSMode.self, log: &log) { mtls = mode } else { valid = false }
        }
        var trustDomain = defaultTrustDomain
        if let value = fields["trustDomain"] {
            let expected = "a trust domain of lowercase letters, digits, '.', '-' and '_'"
            if let text = ValueReader.string(value, key: "trustDomain", expected: expected, log: &log) {
                if isValidTrustDomain(text) {
                    trustDomain = text
                } else {
                    ValueReader.fail("trustDomain", expected: expected, node: value, log: &log)
                    valid = false
                }
            } else {
                valid = false
            }
        }
        var certTTL = defaultCertTTL
        if let value = fields["certTTL"] {
            if mtls == .disabled {
                log.error("certTTL: has no effect with mtls 'disabled' (no certificates are issued); remove it", at: fields.keyNode("certTTL")?.mark ?? value.mark)
                valid = false
            } else if let ttl = ValueReader.duration(value, key: "certTTL", minimum: .seconds(1), log: &log) {
                certTTL = ttl
            } else {
                valid = false
            }
        }
        var ca: CAFiles?
        if let value = fields["ca"] {
            if mtls == .disabled {
                log.error("ca: a mesh root is only used with mTLS, but mesh.mtls is 'disabled'", at: fields.keyNode("ca")?.mark ?? value.mark)
                valid = false
            } else if let files = readCA(value, log: &log) {
                ca = files
            } else {
                valid = false
            }
        }
        var telemetry = TelemetryConfig()
        if let read = readTelemetry(fields, over: telemetry, log: &log) { telemetry = read } else { valid = false }
        return valid ? MeshSettings(mtls: mtls, trustDomain: trustDomain, certTTL: certTTL, ca: ca, accessLog: telemetry.accessLog,
                                    tracingSampling: telemetry.tracingSampling, maxTracesPerSecond: telemetry.maxTracesPerSecond) : nil
    }

    /// This topology's telemetry settings.
    public var telemetry: TelemetryConfig {
        TelemetryConfig(accessLog: accessLog, tracingSampling: tracingSampling, maxTracesPerSecond: maxTracesPerSecond)
    }

    /// Reads a live telemetry change, `{accessLog: BOOL, tracing: {sampling: PCT, maxTracesPerSecond: N}}`
    /// with the keys and checks of `mesh:`; what it leaves out keeps its value in `current`.
    /// Nil (after logging why) when it is not such a mapping or a value is invalid.
    public static func readTelemetryChange(_ node: YAMLNode, over current: TelemetryConfig, log: inout DiagnosticLog) -> TelemetryConfig? {
        let logged = log.diagnostics.count
        guard let fields = MappingReader(node, key: "telemetry", context: "in the telemetry change", allowed: ["accessLog", "tracing"], log: &log),
              let telemetry = readTelemetry(fields, over: current, log: &log), log.diagnostics.count == logged
        else { return nil }
        return telemetry
    }

    /// `accessLog` and `tracing` of `fields` over `current` (what is absent keeps its value);
    /// nil when one is invalid (logged).
    private static func readTelemetry(_ fields: MappingReader, over current: TelemetryConfig, log: inout DiagnosticLog) -> TelemetryConfig? {
        var telemetry = current
        var valid = true
        if let value = fields["accessLog"] {
            if let flag = ValueReader.bool(value, key: "accessLog", log: &log) { telemetry.accessLog = flag } else { valid = false }
        }
        if let value = fields["tracing"] {
            if let fields = MappingReader(value, key: "tracing", context: "in mesh.tracing", allowed: ["sampling", "maxTracesPerSecond"], log: &log) {
                if let sampling = fields["sampling"] {
                    if let percent = ValueReader.percent(sampling, key: "sampling", log: &log) { telemetry.tracingSampling = percent } else { valid = false }
                }
                if let rate = fields["maxTracesPerSecond"] {
                    if let count = ValueReader.integer(rate, key: "maxTracesPerSecond", in: 1...1_000_000, expected: "a whole number from 1 to 1000000",
                                                       log: &log) {
                        telemetry.maxTracesPerSecond = count
                    } else {
                        valid = false
                    }
                }
            } else {
                valid = false
            }
        }
        return valid ? telemetry : nil
    }

    /// Reads `ca: {cert: FILE, key: FILE}` (both required, non-empty).
    private static func readCA(_ node: YAMLNode, log: inout DiagnosticLog) -> CAFiles? {
        guard let fields = MappingReader(node, key: "ca", context: "in mesh.ca", allowed: ["cert", "key"], log: &log) else { return nil }
        func path(_ key: String) -> String? {
            guard let value = fields.required(key, log: &log) else { return nil }
            let expected = "a file path (PEM)"
            guard let text = ValueReader.string(value, key: key, expected: expected, log: &log) else { return nil }
            guard !text.isEmpty else {
                ValueReader.fail(key, expected: expected, node: value, log: &log)
                return nil
            }
            return text
        }
        let cert = path("cert"), key = path("key")
        guard let cert, let key else { return nil }
        return CAFiles(cert: cert, key: key)
    }
}
