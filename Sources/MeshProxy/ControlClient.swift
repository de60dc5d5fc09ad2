import FoundationEssentials
import MeshConfig
import MeshIO
import MeshTLS
import Synchronization

/// The sidecar's side of the control-plane protocol (see MeshConfig): heartbeats every
/// second with the local app's health, a long poll for snapshots, and an ack per
/// snapshot. Runs on one loop. When the control plane is away the sidecar keeps routing
/// with its last snapshot and retries every half second; it resynchronises on return.
final class ControlClient: @unchecked Sendable {
    private let loop: EventLoop
    private let configuration: SidecarConfiguration
    private let store: SnapshotStore
    private let health: AppHealth
    /// The sidecar's certificate (nil without a bootstrap token).
    private let identity: WorkloadIdentity?
    /// This process's mark in heartbeats: a control plane that marked the instance down
    /// knows a restarted sidecar from the one that died (CLOCK_MONOTONIC at start, ns).
    private let incarnation = String(Posix.monotonicNanoseconds())
    private var stopped = false

    init(loop: EventLoop, configuration: SidecarConfiguration, store: SnapshotStore, health: AppHealth, identity: WorkloadIdentity?) {
        self.loop = loop
        self.configuration = configuration
        self.store = store
        self.health = health
        self.identity = identity
    }

    /// The sidecar's identity when it has a bootstrap token: renewal runs on `loop`, requests
    /// go to the control plane.
    static func workloadIdentity(_ configuration: SidecarConfiguration, on loop: EventLoop) -> WorkloadIdentity? {
        let control = configuration.control
        return configuration.bootstrapToken.map { token in
            WorkloadIdentity(instance: configuration.instance, token: token, timers: loop,
                             wallClock: { Posix.wallClockSeconds() }, seed: configuration.seed ^ 0x6365_7274,
                             transport: { request, done in requestCertificate(request, control: control, on: loop, done: done) })
        }
    }

    /// `POST /v1/certificates` to the control plane.
    private static func requestCertificate(_ request: CertificateRequest, control: SocketAddress, on loop: EventLoop,
                                           done: @escaping (Result<CertificateGrant, WorkloadIdentity.RenewalFailure>) -> Void) {
        let body = (try? JSONEncoder().encode(request)).map { [UInt8]($0) } ?? []
        OneShotRequest.send("POST", "/v1/certificates", body: body, to: control, on: loop, timeout: 5_000_000_000) { result in
            guard let result else { return done(.failure(.init(description: "the control plane at \(control) did not answer"))) }
            guard result.status == 200 else {
                let message = (try? JSONDecoder().decode([String: String].self, from: Data(result.body)))?["error"] ?? "no reason given"
                return done(.failure(.init(description: "the CA answered \(result.status): \(message)")))
            }
            guard let grant = try? JSONDecoder().decode(CertificateGrant.self, from: Data(result.body)) else {
                return done(.failure(.init(description: "the CA's answer is not a certificate grant")))
            }
            done(.success(grant))
        }
    }

    /// Starts heartbeats, health probes and the snapshot poll (call on `loop`).
    func start() {
        // The first certificate makes the instance routable: say so at once.
        identity?.onInstalled = { [weak self] in self?.sendHeartbeat() }
        heartbeat()
        poll()
    }

    func stop() {
        stopped = true
        identity?.stop()
    }

    private var instance: String { configuration.instance }

    /// Every second: probe the app and report. Until the app is first ready, probe every
    /// 50 ms, and report at once when readiness changes, so a new instance joins fast.
    private func heartbeat() {
        guard !stopped else { return }
        health.probe(on: loop) { [self] changed in
            if changed { sendHeartbeat() }
        }
        sendHeartbeat()
        loop.schedule(after: 1_000_000_000) { [self] in heartbeat() }
        if !health.isReady { fastProbe(remaining: 19) }
    }

    private func fastProbe(remaining: Int) {
        guard remaining > 0, !stopped else { return }
        loop.schedule(after: 50_000_000) { [self] in
            guard !health.isReady, !stopped else { return }
            health.probe(on: loop) { [self] changed in
                if changed { sendHeartbeat() }
            }
            fastProbe(remaining: remaining - 1)
        }
    }

    private func sendHeartbeat() {
        // With mTLS, an instance without its certificate cannot take traffic yet.
        let certified = store.table.security == nil || identity?.credentials != nil
        let beat = Heartbeat(instance: instance, service: configuration.service, version: configuration.version,
                             inbound: configuration.inboundAddress?.description ?? "", ready: health.isReady && certified,
                             incarnation: incarnation, admin: configuration.adminAddress.description)
        let body = (try? JSONEncoder().encode(beat)).map { [UInt8]($0) } ?? []
        OneShotRequest.send("POST", "/v1/heartbeat", body: body, to: configuration.control, on: loop,
                            timeout: 2_000_000_000) { _ in }
    }

    private func poll() {
        guard !stopped else { return }
        let path = "/v1/snapshot?instance=\(instance)&after=\(store.version)"
        OneShotRequest.send("GET", path, to: configuration.control, on: loop, timeout: 30_000_000_000) { [self] result in
            guard let result else {
                loop.schedule(after: 500_000_000) { [self] in poll() }  // control plane away: keep the last snapshot
                return
            }
            if result.status == 200 {
                apply(result.body)
            } else if result.status != 204 {
                loop.schedule(after: 500_000_000) { [self] in poll() }
                return
            }
            poll()
        }
    }

    private func apply(_ body: [UInt8]) {
        let ack: Ack
        do {
            let snapshot = try JSONDecoder().decode(MeshSnapshot.self, from: Data(body))
            try store.apply(snapshot)
            ack = Ack(instance: instance, version: snapshot.version)
            useIdentity(of: snapshot)
        } catch {
            let version = (try? JSONDecoder().decode(VersionOnly.self, from: Data(body)))?.version ?? -1
            ack = Ack(instance: instance, version: version, error: "could not apply snapshot: \(error)")
        }
        let bytes = (try? JSONEncoder().encode(ack)).map { [UInt8]($0) } ?? []
        OneShotRequest.send("POST", "/v1/ack", body: bytes, to: configuration.control, on: loop,
                            timeout: 2_000_000_000) { _ in }
    }

    /// With mTLS, starts getting the certificate of this sidecar's service.
    private func useIdentity(of snapshot: MeshSnapshot) {
        guard let mtls = snapshot.mtls, let identity else { return }
        identity.use(identity: mtls.identity(namespace: snapshot.topology, service: configuration.service))
    }

    private struct VersionOnly: Decodable { var version: Int }
}

/// Whether the local app answers its health check (the gateway has no app: always ready).
/// Probes run on the control loop; `isReady` may be read from any loop.
final class AppHealth: @unchecked Sendable {
    private let app: SocketAddress?
    private let path: String
    private let ready: Atomic<Bool>
    private var probing = false

    init(app: SocketAddress?, path: String) {
        self.app = app
        self.path = path
        ready = Atomic(app == nil)
    }

    /// The last probe's answer.
    var isReady: Bool { ready.load(ordering: .relaxed) }

    /// Probes the app once (if no probe is under way); 2xx means ready. `changed` hears
    /// whether the answer differs from the previous one.
    func probe(on loop: EventLoop, changed: @escaping (Bool) -> Void = { _ in }) {
        guard let app, !probing else { return }
        probing = true
        OneShotRequest.send("GET", path, to: app, on: loop, timeout: 1_000_000_000) { [self] result in
            probing = false
            let now = result.map { (200..<300).contains($0.status) } ?? false
            let before = ready.exchange(now, ordering: .relaxed)
            changed(now != before)
        }
    }
}
