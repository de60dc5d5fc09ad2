@testable import MeshProxy
import MeshConfig
import MeshControl
import MeshIO
import MeshTLS
import MeshTopology
import Testing

/// Certificate rotation on manual time against a real CA: the first certificate at once,
/// renewal at about half its life with a new key, the old certificate kept while the CA is
/// away, renewal as soon as it is back.
@Suite struct WorkloadIdentityTests {
    static let secret = String(repeating: "c4", count: 32)
    static let identity = "spiffe://meshbed.local/ns/shop/sa/web"

    /// A sidecar of `web-v1-0` whose CA answers while `up` is true; 20-second certificates.
    final class Rig {
        let timers = ManualTimerScheduler(now: 1_000_000_000)
        var up = true
        var requests = 0
        var authority: CertificateAuthority
        var identity: WorkloadIdentity!
        var tamper: ((inout CertificateGrant) -> Void)?

        init() throws {
            let topology = Topology(name: "shop", mesh: MeshSettings(certTTL: .seconds(20)),
                                    services: ["web": Service(name: "web"), "api": Service(name: "api")])
            authority = CertificateAuthority(issuer: try CertificateIssuer.generateRoot(lifetime: .seconds(86_400)),
                                             topology: topology, secret: WorkloadIdentityTests.secret)
            let clock = WallClock(timers)
            let wall: @Sendable () -> Int64 = { clock.seconds }
            authority.wallClock = wall
            identity = WorkloadIdentity(
                instance: "web-v1-0", token: try BootstrapToken.token(secret: WorkloadIdentityTests.secret, instance: "web-v1-0"),
                timers: timers, wallClock: wall, seed: 42,
                transport: { [unowned self] request, done in
                    requests += 1
                    guard up else { return done(.failure(.init(description: "the control plane did not answer"))) }
                    do {
                        var grant = try authority.sign(request)
                        tamper?(&grant)
                        done(.success(grant))
                    } catch {
                        done(.failure(.init(description: "\(error)")))
                    }
                })
        }

        var serial: String? {
            identity.credentials.flatMap { try? CertificateInfo.chain(Array($0.grant.certificateChain.utf8)).first?.serial }
        }
    }

    /// Wall-clock seconds that follow the manual timers (tests run on one thread).
    final class WallClock: @unchecked Sendable {
        let timers: ManualTimerScheduler
        init(_ timers: ManualTimerScheduler) { self.timers = timers }
        var seconds: Int64 { 1_800_000_000 + Int64(timers.now / 1_000_000_000) }
    }

    @Test func rotatesAtHalfLifeWithANewKey() throws {
        let rig = try Rig()
        #expect(rig.identity.credentials == nil)
        rig.identity.use(identity: Self.identity)
        let first = try #require(rig.identity.credentials)
        #expect(first.grant.identity == Self.identity)
        let firstSerial = rig.serial
        rig.timers.advance(by: .seconds(7))
        #expect(rig.serial == firstSerial)
        rig.timers.advance(by: .seconds(3))  // 10 s: renewed between 8 and 10 s
        #expect(rig.identity.renewalCounts.renewals == 2)
        #expect(rig.serial != firstSerial)
        // Three more rotations in a minute, never without a valid certificate.
        for _ in 0..<60 {
            rig.timers.advance(by: .seconds(1))
            let grant = try #require(rig.identity.credentials?.grant)
            #expect(grant.notAfter > 1_800_000_000 + Int64(rig.timers.now / 1_000_000_000))
        }
        #expect(rig.identity.renewalCounts.renewals >= 6)
        #expect(rig.identity.renewalCounts.failures == 0)
        // The same identity again does not restart anything.
        let requests = rig.requests
        rig.identity.use(identity: Self.identity)
        #expect(rig.requests == requests)
    }

    @Test func keepsTheCertificateWhileTheCAIsAway() throws {
        let rig = try Rig()
        rig.identity.use(identity: Self.identity)
        let serial = rig.serial
        rig.up = false
        rig.timers.advance(by: .seconds(15))  // past half life: renewal tried and retried, every ~1 s or less
        #expect(rig.serial == serial)
        #expect(rig.identity.renewalCounts.failures >= 3)
        #expect(rig.identity.renewalCounts.lastError == "the control plane did not answer")
        rig.up = true
        rig.timers.advance(by: .seconds(2))
        #expect(rig.serial != serial)
        #expect(rig.identity.renewalCounts.lastError == nil)
    }

    @Test func refusesACertificateForAnotherIdentity() throws {
        let rig = try Rig()
        rig.tamper = { $0.identity = "spiffe://meshbed.local/ns/shop/sa/api" }
        rig.identity.use(identity: Self.identity)
        #expect(rig.identity.credentials == nil)
        #expect(rig.identity.renewalCounts.lastError?.contains("not spiffe://meshbed.local/ns/shop/sa/web") == true)
        rig.tamper = nil
        rig.timers.advance(by: .seconds(1))
        #expect(rig.identity.credentials != nil)
    }

    @Test func stopEndsRenewal() throws {
        let rig = try Rig()
        rig.identity.use(identity: Self.identity)
        rig.identity.stop()
        let requests = rig.requests
        rig.timers.advance(by: .seconds(60))
        #expect(rig.requests == requests)
        #expect(rig.timers.pendingCount == 0)
    }
}
