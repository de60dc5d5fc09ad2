import MeshConfig
import MeshCore
import MeshControl
import MeshTestSupport
import Testing

/// Heartbeats register instances and move them in and out of the snapshot's endpoints.
@Suite struct RegistryTests {
    @Test func versionOneHasEveryServiceAndNoEndpoints() throws {
        try withControlPlane { control in
            let snapshot = try currentSnapshot(control)
            #expect(snapshot.version == 1)
            #expect(snapshot.topology == "bookinfo")
            #expect(Set(snapshot.services.keys) == ["productpage", "details", "reviews", "ratings"])
            #expect(snapshot.services["reviews"]?.versions == ["v1": [], "v2": []])
            #expect(snapshot.services["details"]?.versions == ["v1": []])

            let statuses = try instanceStatuses(control)
            #expect(statuses.count == 7)
            #expect(statuses["ingress"] == nil)
            #expect(statuses["reviews-v2-0"] == InstanceStatus(
                instance: "reviews-v2-0", service: "reviews", version: "v2", inbound: "", healthy: false,
                lastSeenMillis: -1, ackedVersion: nil, rejected: nil))
        }
    }

    @Test func firstHeartbeatRegistersAndBumpsTheVersion() throws {
        let clock = ManualClock(nanoseconds: 1_000_000_000)
        var configuration = ControlConfiguration()
        configuration.clock = clock
        try withControlPlane(configuration: configuration) { control in
            let response = try reviewsV2.heartbeat(control)
            #expect(response.status == 204)
            let snapshot = try currentSnapshot(control)
            #expect(snapshot.version == 2)
            #expect(snapshot.services["reviews"]?.versions["v2"] == [Endpoint(id: "reviews-v2-0", address: "127.0.0.1:20005")])
            #expect(snapshot.services["reviews"]?.versions["v1"] == [])
            #expect(endpointIDs(snapshot, "ratings").isEmpty)

            let status = try #require(try instanceStatuses(control)["reviews-v2-0"])
            #expect(status.healthy)
            #expect(status.inbound == "127.0.0.1:20005")
            #expect(status.lastSeenMillis == 0)
            clock.advance(by: .milliseconds(1_234))
            #expect(try instanceStatuses(control)["reviews-v2-0"]?.lastSeenMillis == 1_234)

            // The same heartbeat again changes nothing: same version.
            #expect(try reviewsV2.heartbeat(control).status == 204)
            #expect(try currentSnapshot(control).version == 2)
            #expect(control.version == 2)
        }
    }

    @Test func endpointsLandInTheirServiceAndVersionSortedByID() throws {
        try withControlPlane { control in
            for sidecar in [reviewsV1b, ratingsB, reviewsV1a, reviewsV2, details, ratingsA, productpage] {
                #expect(try sidecar.heartbeat(control).status == 204)
            }
            let snapshot = try currentSnapshot(control)
            #expect(snapshot.version == 8)  // 1 + seven changes
            #expect(snapshot.services["reviews"]?.versions == [
                "v1": [Endpoint(id: "reviews-v1-0", address: "127.0.0.1:20003"), Endpoint(id: "reviews-v1-1", address: "127.0.0.1:20004")],
                "v2": [Endpoint(id: "reviews-v2-0", address: "127.0.0.1:20005")],
            ])
            #expect(endpointIDs(snapshot, "ratings") == ["ratings-v1-0", "ratings-v1-1"])
            #expect(endpointIDs(snapshot, "details") == ["details-v1-0"])
            #expect(endpointIDs(snapshot, "productpage") == ["productpage-v1-0"])
            #expect(try instanceStatuses(control).values.allSatisfy(\.healthy))
        }
    }

    @Test func unknownInstanceIsRejectedWith400() throws {
        try withControlPlane { control in
            let stranger = FakeSidecar("reviews-v3-0", service: "reviews", version: "v3", inbound: "127.0.0.1:20100")
            let response = try stranger.heartbeat(control)
            #expect(response.status == 400)
            #expect(response.header("content-type") == "application/json")
            #expect(response.errorMessage == "instance: unknown instance 'reviews-v3-0'; not in the topology")
            #expect(!response.text.dropLast().contains("\n"))
            #expect(try currentSnapshot(control).version == 1)
            #expect(try instanceStatuses(control)["reviews-v3-0"] == nil)
        }
    }

    @Test func heartbeatThatContradictsTheTopologyIsRejected() throws {
        try withControlPlane { control in
            let wrongService = FakeSidecar("reviews-v1-0", service: "ratings", inbound: "127.0.0.1:20100")
            #expect(try wrongService.heartbeat(control).errorMessage
                == "instance 'reviews-v1-0' belongs to service 'reviews', heartbeat says 'ratings'")
            let wrongVersion = FakeSidecar("reviews-v1-0", service: "reviews", version: "v2", inbound: "127.0.0.1:20100")
            #expect(try wrongVersion.heartbeat(control).status == 400)
            let badAddress = FakeSidecar("reviews-v1-0", service: "reviews", inbound: "somewhere")
            let response = try badAddress.heartbeat(control)
            #expect(response.status == 400)
            #expect(response.errorMessage == "inbound: expected an address such as 127.0.0.1:15001, got 'somewhere'")
            #expect(try currentSnapshot(control).version == 1)
        }
    }

    @Test func notReadyRegistersWithoutAnEndpoint() throws {
        try withControlPlane { control in
            #expect(try ratingsA.heartbeat(control, ready: false).status == 204)
            #expect(try currentSnapshot(control).version == 1)
            let status = try #require(try instanceStatuses(control)["ratings-v1-0"])
            #expect(!status.healthy)
            #expect(status.lastSeenMillis >= 0)
            #expect(status.inbound == "127.0.0.1:20006")

            try ratingsA.heartbeat(control, ready: true)
            var snapshot = try currentSnapshot(control)
            #expect(snapshot.version == 2)
            #expect(endpointIDs(snapshot, "ratings") == ["ratings-v1-0"])

            // Ready → not ready takes it out again.
            try ratingsA.heartbeat(control, ready: false)
            snapshot = try currentSnapshot(control)
            #expect(snapshot.version == 3)
            #expect(endpointIDs(snapshot, "ratings").isEmpty)
        }
    }

    @Test func aNewInboundAddressIsANewVersion() throws {
        try withControlPlane { control in
            try details.heartbeat(control)
            let moved = FakeSidecar("details-v1-0", service: "details", inbound: "127.0.0.1:29999")
            try moved.heartbeat(control)
            let snapshot = try currentSnapshot(control)
            #expect(snapshot.version == 3)
            #expect(snapshot.services["details"]?.versions["v1"] == [Endpoint(id: "details-v1-0", address: "127.0.0.1:29999")])
        }
    }

    @Test func ingressGatewayHeartbeatsButIsNoEndpoint() throws {
        try withControlPlane { control in
            let response = try FakeSidecar.ingress.heartbeat(control)
            #expect(response.status == 204)
            let snapshot = try currentSnapshot(control)
            #expect(snapshot.version == 1)
            #expect(snapshot.services["ingress"] == nil)
            let status = try #require(try instanceStatuses(control)["ingress"])
            #expect(status.service == "ingress")
            #expect(status.healthy)
            #expect(try instanceStatuses(control).count == 8)

            // It may long-poll and ack like any sidecar.
            let poll = try TestHTTPClient.request(control, "GET", "/v1/snapshot?instance=ingress&after=0")
            #expect(poll.status == 200)
            #expect(try FakeSidecar.ingress.ack(control, version: 1).status == 204)
            #expect(try instanceStatuses(control)["ingress"]?.ackedVersion == 1)
        }
    }

    @Test func publicAccessorsAgreeWithTheAPI() throws {
        try withControlPlane { control in
            try reviewsV1a.heartbeat(control)
            #expect(control.currentSnapshot() == (try currentSnapshot(control)))
            #expect(control.instances().count == 7)
            #expect(control.instances().first { $0.instance == "reviews-v1-0" }?.healthy == true)
        }
    }
}
