import MeshConfig
import MeshCore
import MeshIO
import MeshTLS
import Synchronization

/// The sidecar's mesh identity: a private key of its own and the certificate the control
/// plane's CA signed for it, renewed at half its lifetime (with jitter) for the life of the
/// sidecar. A new key and CSR each time; the new certificate replaces the old one for new
/// connections only (connections keep the TLS session they started with), and while the CA
/// cannot be reached the current certificate stays in use and renewal is retried with
/// backoff. Renewal runs on one loop (the control client's); every loop reads `credentials`
/// when it sets up a connection.
final class WorkloadIdentity: @unchecked Sendable {
    /// One certificate and the TLS contexts made from it.
    struct Credentials: Sendable {
        let grant: CertificateGrant
        /// For the inbound port (asks every client for a mesh certificate).
        let server: TLSContext
        /// For connections to peers' inbound ports.
        let client: TLSContext
    }

    /// Sends a certificate request to the CA and calls back (on the same loop) with the grant
    /// or a one-line reason.
    typealias Transport = (CertificateRequest, @escaping (Result<CertificateGrant, RenewalFailure>) -> Void) -> Void

    /// Why a renewal failed, in one line.
    struct RenewalFailure: Error, CustomStringConvertible {
        let description: String
    }

    private let current = Mutex<Credentials?>(nil)
    private let counts = Mutex(Counts())

    /// What renewal did so far (for the admin port).
    struct Counts: Sendable {
        var renewals = 0
        var failures = 0
        var lastError: String?
    }

    // Confined to the renewal loop.
    private let instance: String
    private let token: String
    private let timers: any TimerScheduler
    private let wallClock: () -> Int64
    private let transport: Transport
    private var random: SeededRandom
    private var identity: String?
    private var inFlight = false
    private var consecutiveFailures = 0
    private var timer: TimerID?
    private var stopped = false
    /// Told (on the renewal loop) each time a certificate is installed.
    var onInstalled: (() -> Void)?

    init(instance: String, token: String, timers: any TimerScheduler, wallClock: @escaping () -> Int64, seed: UInt64,
         transport: @escaping Transport) {
        self.instance = instance
        self.token = token
        self.timers = timers
        self.wallClock = wallClock
        self.random = SeededRandom(seed: seed)
        self.transport = transport
    }

    /// The certificate in use (nil until the first one arrives).
    var credentials: Credentials? { current.withLock { $0 } }

    /// Renewals and failures so far.
    var renewalCounts: Counts { counts.withLock { $0 } }

    /// Starts (or keeps) getting certificates for `identity` (the SPIFFE ID the snapshot says
    /// this sidecar has). Call on the renewal loop; a repeated call with the same identity does nothing.
    func use(identity: String) {
        guard !stopped, self.identity != identity else { return }
        self.identity = identity
        if let timer { timers.cancel(timer) }
        timer = nil
        renew()
    }

    /// Stops renewing (the sidecar is shutting down).
    func stop() {
        stopped = true
        if let timer { timers.cancel(timer) }
        timer = nil
    }

    private func renew() {
        guard !stopped, !inFlight, let identity else { return }
        timer = nil
        let request: CertificateRequest
        let privateKey: [UInt8]
        do {
            privateKey = try CertificateIssuer.generatePrivateKey()
            let csr = try CertificateSigningRequest.make(privateKey: privateKey, spiffeID: identity)
            request = CertificateRequest(instance: instance, token: token, csr: String(decoding: csr.pem, as: UTF8.self))
        } catch {
            return failed("could not make a certificate request: \(error)")
        }
        inFlight = true
        transport(request) { [self] result in
            inFlight = false
            guard !stopped else { return }
            switch result {
            case .success(let grant):
                do {
                    try install(grant, privateKey: privateKey, identity: identity)
                } catch {
                    failed("the CA's certificate is unusable: \(error)")
                }
            case .failure(let failure):
                failed(failure.description)
            }
        }
    }

    private func install(_ grant: CertificateGrant, privateKey: [UInt8], identity: String) throws {
        guard grant.identity == identity else {
            throw RenewalFailure(description: "the CA signed \(grant.identity), not \(identity)")
        }
        let credential = PEMCredential(certificateChain: Array(grant.certificateChain.utf8), privateKey: privateKey)
        let roots = Array(grant.trustedRoots.utf8)
        let server = try TLSContext(configuration: TLSConfiguration(role: .server, credential: credential, trustedRoots: roots))
        let client = try TLSContext(configuration: TLSConfiguration(role: .client, credential: credential, trustedRoots: roots))
        current.withLock { $0 = Credentials(grant: grant, server: server, client: client) }
        counts.withLock {
            $0.renewals += 1
            $0.lastError = nil
        }
        consecutiveFailures = 0
        onInstalled?()
        schedule(after: RenewalSchedule.renewal(remaining: grant.notAfter - wallClock(), using: &random))
    }

    private func failed(_ reason: String) {
        counts.withLock {
            $0.failures += 1
            $0.lastError = reason
        }
        consecutiveFailures += 1
        let remaining = credentials.map { $0.grant.notAfter - wallClock() }
        schedule(after: RenewalSchedule.retry(failures: consecutiveFailures, remaining: remaining, using: &random))
    }

    private func schedule(after delay: Duration) {
        guard !stopped else { return }
        let nanoseconds = UInt64(max(0, delay.components.seconds)) * 1_000_000_000
            + UInt64(max(0, delay.components.attoseconds / 1_000_000_000))
        timer = timers.schedule(at: timers.now &+ nanoseconds) { [weak self] in self?.renew() }
    }
}
