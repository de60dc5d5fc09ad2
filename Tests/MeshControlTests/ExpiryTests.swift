import MeshConfig
@testable import MeshControl
import MeshCore
import MeshIO
import MeshTestSupport
import Testing

/// Instances whose heartbeats stop leave the endpoints, and the version moves on.
@Suite struct ExpiryTests {
    /// Heartbeat ages come from a `ManualClock`, so how slowly the machine runs the test
    /// cannot expire the instance that keeps beating.
    @Test func silentInstanceLeavesTheEndpoints() throws {
        let clock = ManualClock(nanoseconds: 5_000_000_000)
        var configuration = fastConfiguration(heartbeatTimeout: 1, expiryInterval: 0.02)
        configuration.clock = clock
        try withControlPlane(configuration: configuration) { control in
            try ratingsA.heartbeat(control)
            try ratingsB.heartbeat(control)
            let before = try currentSnapshot(control)
            #expect(before.version == 3)
            #expect(endpointIDs(before, "ratings") == ["ratings-v1-0", "ratings-v1-1"])

            // At the timeout exactly nothing expires; ratings-v1-0 beats again, ratings-v1-1 has stopped.
            clock.advance(by: .seconds(1))
            try ratingsA.heartbeat(control)
            #expect(try instanceStatuses(control)["ratings-v1-1"]?.healthy == true)
            clock.advance(by: .milliseconds(100))
            let expired = eventually(within: 10) {  // the next expiry check (every 20 ms) takes it out
                (try? currentSnapshot(control)).map { endpointIDs($0, "ratings") == ["ratings-v1-0"] } ?? false
            }
            #expect(expired, "ratings-v1-1 is still an endpoint")
            let after = try currentSnapshot(control)
            #expect(after.version == 4)
            let statuses = try instanceStatuses(control)
            #expect(statuses["ratings-v1-1"]?.healthy == false)
            #expect(statuses["ratings-v1-1"]?.lastSeenMillis == 1100)
            #expect(statuses["ratings-v1-0"]?.healthy == true)
            #expect(statuses["ratings-v1-0"]?.lastSeenMillis == 100)

            // It comes back with its next heartbeat.
            try ratingsB.heartbeat(control)
            let back = try currentSnapshot(control)
            #expect(back.version == 5)
            #expect(endpointIDs(back, "ratings") == ["ratings-v1-0", "ratings-v1-1"])
        }
    }

    /// A control plane that did not run for longer than the heartbeat timeout (SIGSTOP, a
    /// suspended VM, a starved CPU) could not read the heartbeats sent to it meanwhile: they
    /// wait in its sockets. On resuming, its overdue expiry check must not take instances out
    /// before it has read them (before the fix every sidecar left the endpoints, and callers
    /// got 503 "no healthy upstream" until the queued heartbeats brought them back).
    @Test func stalledControlPlaneDoesNotExpireInstancesWhoseHeartbeatsWait() throws {
        try withControlPlane(configuration: fastConfiguration(heartbeatTimeout: 1, expiryInterval: 0.05)) { control in
            try ratingsA.heartbeat(control)
            let before = try currentSnapshot(control)
            #expect(endpointIDs(before, "ratings") == ["ratings-v1-0"])

            // The loop stops for 2 s; the sidecar's next heartbeat arrives 1.5 s into it.
            let stalled = Shared(false)
            control.loop.execute {
                stalled.update { $0 = true }
                Posix.sleep(nanoseconds: 2_000_000_000)
            }
            #expect(eventually { stalled.value })
            Posix.sleep(nanoseconds: 1_500_000_000)  // pacing: where in the stall the heartbeat is sent
            let client = try TestHTTPClient(control)
            try client.send("POST", "/v1/heartbeat", body: ratingsA.heartbeatBody())
            #expect(try client.readResponse(within: 10).status == 204)

            let after = try currentSnapshot(control)
            #expect(after.version == before.version, "a version was published: the instance left the endpoints")
            #expect(endpointIDs(after, "ratings") == ["ratings-v1-0"])
            #expect(try instanceStatuses(control)["ratings-v1-0"]?.healthy == true)

            // A sidecar that really went silent still leaves, one heartbeat timeout later.
            #expect(eventually(within: 10) {
                (try? currentSnapshot(control)).map { endpointIDs($0, "ratings").isEmpty } ?? false
            })
        }
    }

    @Test func expiryWakesHeldPolls() throws {
        try withControlPlane(configuration: fastConfiguration(heartbeatTimeout: 0.3, expiryInterval: 0.05)) { control in
            try details.heartbeat(control)
            let poller = try TestHTTPClient(control)
            try poller.send("GET", "/v1/snapshot?instance=productpage-v1-0&after=2")
            let snapshot = try poller.readResponse(within: 5).decode(MeshSnapshot.self)
            #expect(snapshot.version == 3)
            #expect(endpointIDs(snapshot, "details").isEmpty)
        }
    }

    // The registry on its own, with explicit times: the 3 s default boundary exactly.

    @Test func registryExpiresAfterTheTimeoutAndNotBefore() throws {
        let second: UInt64 = 1_000_000_000
        var registry = InstanceRegistry(topology: bookinfo(), heartbeatTimeout: 3 * second)
        try registry.heartbeat(Heartbeat(instance: "details-v1-0", service: "details", version: "v1", inbound: "127.0.0.1:1", ready: true),
                               now: 10 * second)
        #expect(registry.endpoints() == ["details": ["v1": [Endpoint(id: "details-v1-0", address: "127.0.0.1:1")]]])
        let atTimeout = registry.expire(now: 13 * second)
        #expect(!atTimeout)
        #expect(registry["details-v1-0"]?.healthy == true)
        let pastTimeout = registry.expire(now: 13 * second + 1)
        #expect(pastTimeout)
        #expect(registry["details-v1-0"]?.healthy == false)
        #expect(registry.endpoints().isEmpty)
        let again = registry.expire(now: 20 * second)
        #expect(!again)
        let status = try #require(registry.statuses(now: 14 * second).first { $0.instance == "details-v1-0" })
        #expect(status.lastSeenMillis == 4000)
        #expect(!status.healthy)
    }

    /// A pause credited to the registry moves every last heartbeat later, never past now.
    @Test func creditedPauseDoesNotCountTowardTheTimeout() throws {
        let second: UInt64 = 1_000_000_000
        var registry = InstanceRegistry(topology: bookinfo(), heartbeatTimeout: 3 * second)
        try registry.heartbeat(Heartbeat(instance: "details-v1-0", service: "details", version: "v1", inbound: "127.0.0.1:1", ready: true),
                               now: 10 * second)
        registry.credit(pause: 8 * second, now: 20 * second)
        let afterPause = registry.expire(now: 20 * second)
        #expect(!afterPause)
        let pastTimeout = registry.expire(now: 21 * second + 1)
        #expect(pastTimeout)
        registry.credit(pause: 100 * second, now: 22 * second)
        #expect(registry["details-v1-0"]?.lastSeen == 22 * second)
    }

    @Test func defaultsAreTheProtocols() {
        let configuration = ControlConfiguration()
        #expect(configuration.heartbeatTimeout == 3_000_000_000)
        #expect(configuration.expiryInterval == 500_000_000)
        #expect(configuration.holdTime == 20_000_000_000)
        #expect(configuration.maxBodyBytes == 65536)
    }
}
