import FoundationEssentials
import MeshConfig
import MeshCore
import MeshIO

/// Replaces a destination's routes on a running topology, live: `PUT /v1/routes/SERVICE` on
/// its control plane (which checks them against the topology and publishes a new snapshot
/// version to every sidecar's long poll), then waits until every live sidecar applied that
/// version (`AcknowledgementWait`). Requests already routed finish where they were sent;
/// each new request is routed by the version its sidecar holds when it arrives.
///
/// Used by `meshbed route set` and by the scenario `route` step.
public enum LiveRoutes {
    /// How long `apply` waits for the sidecars by default.
    public static let defaultTimeout: Duration = .seconds(5)

    /// A route change that every live sidecar applied.
    public struct Applied: Sendable, Equatable {
        /// The snapshot version that carries the new routes.
        public var version: Int
        /// How many sidecars (the ingress gateway included) applied it.
        public var sidecars: Int
        /// From sending the change until the last sidecar's acknowledgement was seen.
        public var nanoseconds: UInt64

        public init(version: Int, sidecars: Int, nanoseconds: UInt64) {
            self.version = version
            self.sidecars = sidecars
            self.nanoseconds = nanoseconds
        }

        /// Whole milliseconds, rounded up.
        public var milliseconds: Int { Int((nanoseconds + 999_999) / 1_000_000) }

        /// `routes version 7 applied by 9 sidecars in 12 ms`.
        public var summary: String {
            "routes version \(version) applied by \(sidecars) sidecar\(sidecars == 1 ? "" : "s") in \(milliseconds) ms"
        }
    }

    /// Replaces the routes of `destination` with `routes` through the control plane at
    /// `control` and waits up to `timeout` until every live sidecar applied them: `send`,
    /// then `waitUntilApplied`.
    ///
    /// Throws exit status 2 when the control plane refuses the routes (its one-line reason:
    /// an unknown service or version, weights that do not sum to 100), 1 when it does not
    /// answer, or the sidecars did not all apply the change within `timeout` (naming them).
    public static func apply(
        _ routes: [RouteConfig], to destination: String, control: String, timeout: Duration = defaultTimeout
    ) throws(OrchestratorError) -> Applied {
        let started = Posix.monotonicNanoseconds()
        let version = try send(routes, to: destination, control: control)
        return try waitUntilApplied(version: version, control: control, timeout: timeout, since: started).get()
    }

    /// `PUT /v1/routes/DESTINATION` with `routes`; the snapshot version the change made.
    /// Throws exit status 2 when the control plane refuses them (with its reason), 1 when
    /// it does not answer.
    public static func send(_ routes: [RouteConfig], to destination: String, control: String) throws(OrchestratorError) -> Int {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body: [UInt8]
        do {
            body = Array(try encoder.encode(routes))
        } catch {
            throw OrchestratorError(exitCode: 1, "could not encode the routes: \(error)")
        }
        return try put("/v1/routes/" + escaped(destination), body: body, control: control, what: "the route change")
    }

    /// Moves the mesh's inbound mode to `mode` and waits up to `timeout` until every live
    /// sidecar applied it (exit statuses as `apply`; 2 also for a topology without mTLS).
    public static func applyMTLS(_ mode: MTLSConfig.Mode, control: String, timeout: Duration = defaultTimeout) throws(OrchestratorError) -> Applied {
        let started = Posix.monotonicNanoseconds()
        let version = try sendMTLS(mode, control: control)
        return try waitUntilApplied(version: version, control: control, timeout: timeout, since: started).get()
    }

    /// `PUT /v1/mtls`: moves the mesh's inbound mode between strict and permissive; the
    /// snapshot version the change made (exit statuses as `send`).
    public static func sendMTLS(_ mode: MTLSConfig.Mode, control: String) throws(OrchestratorError) -> Int {
        let body = Array("{\"mode\":\"\(mode.rawValue)\"}".utf8)
        return try put("/v1/mtls", body: body, control: control, what: "the mtls change")
    }

    /// The access log and tracing settings of a running mesh (`GET /v1/telemetry`).
    public struct Telemetry: Decodable, Sendable, Equatable {
        public struct Tracing: Decodable, Sendable, Equatable {
            public var sampling: Double
            public var maxTracesPerSecond: Int
        }
        public var accessLog: Bool
        public var tracing: Tracing

        /// `access log on, tracing 100% of new traces (at most 100 a second per sidecar loop)`.
        public var summary: String {
            let percent = tracing.sampling == tracing.sampling.rounded() ? String(Int(tracing.sampling)) : String(tracing.sampling)
            return "access log \(accessLog ? "on" : "off"), tracing \(percent)% of new traces (at most \(tracing.maxTracesPerSecond) a second per sidecar loop)"
        }
    }

    /// What changes of the telemetry settings (nil: unchanged).
    public struct TelemetryChange: Sendable, Equatable {
        public var accessLog: Bool?
        public var sampling: Double?
        public var maxTracesPerSecond: Int?

        public init(accessLog: Bool? = nil, sampling: Double? = nil, maxTracesPerSecond: Int? = nil) {
            self.accessLog = accessLog
            self.sampling = sampling
            self.maxTracesPerSecond = maxTracesPerSecond
        }

        /// The body of `PUT /v1/telemetry`: `{"accessLog":false,"tracing":{"sampling":10}}`.
        public var json: [UInt8] {
            var fields: [String] = []
            if let accessLog { fields.append("\"accessLog\":\(accessLog)") }
            var tracing: [String] = []
            if let sampling { tracing.append("\"sampling\":\(sampling)") }
            if let maxTracesPerSecond { tracing.append("\"maxTracesPerSecond\":\(maxTracesPerSecond)") }
            if !tracing.isEmpty { fields.append("\"tracing\":{" + tracing.joined(separator: ",") + "}") }
            return Array(("{" + fields.joined(separator: ",") + "}").utf8)
        }
    }

    /// Changes the access log and tracing settings of the mesh whose control plane is at
    /// `control` and waits up to `timeout` until every live sidecar applied them (exit
    /// statuses as `apply`); the settings in force afterwards.
    public static func applyTelemetry(_ change: TelemetryChange, control: String, timeout: Duration = defaultTimeout)
        throws(OrchestratorError) -> (applied: Applied, telemetry: Telemetry)
    {
        let started = Posix.monotonicNanoseconds()
        let (version, answer) = try putAnswer("/v1/telemetry", body: change.json, control: control, what: "the telemetry change")
        guard let telemetry = (try? JSONDecoder().decode(TelemetryChanged.self, from: Data(answer)))?.telemetry else {
            throw OrchestratorError(exitCode: 1, "the control plane at \(control) answered the telemetry change without the settings")
        }
        return (try waitUntilApplied(version: version, control: control, timeout: timeout, since: started).get(), telemetry)
    }

    /// The telemetry settings in force on the mesh whose control plane is at `control`.
    public static func telemetry(control: String) throws(OrchestratorError) -> Telemetry {
        guard let (status, answer) = HTTPProbe.get(address: control, path: "/v1/telemetry", timeout: .seconds(2)) else {
            throw OrchestratorError(exitCode: 1, "the control plane at \(control) did not answer")
        }
        guard status == 200, let telemetry = try? JSONDecoder().decode(Telemetry.self, from: Data(answer)) else {
            throw OrchestratorError(exitCode: 1, "the control plane at \(control) answered GET /v1/telemetry with HTTP \(status)")
        }
        return telemetry
    }

    private struct TelemetryChanged: Decodable {
        let telemetry: Telemetry
    }

    private static func put(_ path: String, body: [UInt8], control: String, what: String) throws(OrchestratorError) -> Int {
        try putAnswer(path, body: body, control: control, what: what).version
    }

    /// `PUT path` with `body`; the version it made and the whole answer.
    private static func putAnswer(_ path: String, body: [UInt8], control: String, what: String) throws(OrchestratorError)
        -> (version: Int, answer: [UInt8])
    {
        guard let (status, answer) = HTTPProbe.send("PUT", address: control, path: path, json: body, timeout: .seconds(2)) else {
            throw OrchestratorError(exitCode: 1, "the control plane at \(control) did not answer")
        }
        guard status == 200 else {
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: Data(answer)))?.error ?? "HTTP \(status)"
            throw OrchestratorError(exitCode: (400..<500).contains(status) ? 2 : 1, message)
        }
        guard let version = (try? JSONDecoder().decode(VersionBody.self, from: Data(answer)))?.version else {
            throw OrchestratorError(exitCode: 1, "the control plane at \(control) answered \(what) without a version")
        }
        return (version, answer)
    }

    /// Waits up to `timeout` until every live sidecar of the control plane at `control`
    /// applied `version`; the time is counted from `since` (CLOCK_MONOTONIC nanoseconds,
    /// taken before `send`). The error (exit status 1) names the sidecars behind, or the one
    /// that rejected the version.
    public static func waitUntilApplied(
        version: Int, control: String, timeout: Duration = defaultTimeout, since started: UInt64
    ) -> Result<Applied, OrchestratorError> {
        let clock = MonotonicClock()
        let waited = AcknowledgementWait.wait(
            version: version, timeout: HTTPProbe.nanoseconds(timeout), clock: clock,
            pause: { Posix.sleep(nanoseconds: $0) },
            fetch: { instances(control: control) })
        return waited.map { Applied(version: version, sidecars: $0, nanoseconds: clock.now() - started) }
    }

    /// `GET /v1/instances`, or nil when the control plane does not answer it.
    static func instances(control: String) -> [InstanceStatus]? {
        guard let (status, body) = HTTPProbe.get(address: control, path: "/v1/instances"), status == 200 else { return nil }
        return try? JSONDecoder().decode([InstanceStatus].self, from: Data(body))
    }

    /// `name` as one path segment or query value: bytes outside `A-Z a-z 0-9 - . _ ~`
    /// percent-encoded.
    public static func escaped(_ name: String) -> String {
        var text = ""
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                text.append(Character(UnicodeScalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                text += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return text
    }

    private struct VersionBody: Decodable { var version: Int }
    private struct ErrorBody: Decodable { var error: String }
}
