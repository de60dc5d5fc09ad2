import MeshConfig
import MeshControl
import MeshIO
import MeshTestSupport
import Testing

/// `GET /v1/snapshot?instance=ID&after=N`: at once when newer, held until a change otherwise.
@Suite struct LongPollTests {
    @Test func pollAtTheCurrentVersionWaitsForTheNextChange() throws {
        try withControlPlane { control in
            try reviewsV1a.heartbeat(control)
            #expect(try currentSnapshot(control).version == 2)

            let poller = try TestHTTPClient(control)
            try poller.send("GET", "/v1/snapshot?instance=reviews-v1-0&after=2")
            #expect(eventually { control.heldPollCount == 1 }, "the poll was not held")
            // Held: nothing has come back, even after other requests went through.
            #expect(try instanceStatuses(control).count == 7)
            #expect(try reviewsV1a.heartbeat(control).status == 204)  // no change, no answer
            #expect(!poller.hasPendingData, "answered before anything changed")

            try ratingsA.heartbeat(control)
            let response = try poller.readResponse(within: 5)
            #expect(response.status == 200)
            #expect(response.header("x-meshbed-snapshot-version") == "3")
            let snapshot = try response.decode(MeshSnapshot.self)
            #expect(snapshot.version == 3)
            #expect(endpointIDs(snapshot, "ratings") == ["ratings-v1-0"])
            #expect(endpointIDs(snapshot, "reviews") == ["reviews-v1-0"])
            #expect(control.heldPollCount == 0)

            // The connection stays usable: the next poll is held again.
            try poller.send("GET", "/v1/snapshot?instance=reviews-v1-0&after=3")
            #expect(eventually { control.heldPollCount == 1 })
            try ratingsB.heartbeat(control)
            #expect(try poller.readResponse().decode(MeshSnapshot.self).version == 4)
        }
    }

    @Test func pollBehindTheCurrentVersionIsAnsweredAtOnce() throws {
        try withControlPlane { control in
            try details.heartbeat(control)
            for target in ["/v1/snapshot?instance=details-v1-0&after=1", "/v1/snapshot?instance=details-v1-0&after=0",
                           "/v1/snapshot?instance=details-v1-0"] {
                let response = try TestHTTPClient.request(control, "GET", target)
                #expect(response.status == 200, "\(target)")
                #expect(try response.decode(MeshSnapshot.self).version == 2)
            }
            #expect(control.heldPollCount == 0)
        }
    }

    @Test func pollAheadOfTheCurrentVersionResynchronizes() throws {
        // A sidecar that knew an earlier run of the control plane (versions restart at 1).
        try withControlPlane { control in
            let response = try TestHTTPClient.request(control, "GET", "/v1/snapshot?instance=details-v1-0&after=57")
            #expect(response.status == 200)
            #expect(try response.decode(MeshSnapshot.self).version == 1)
        }
    }

    @Test func heldPollEndsWith204AfterTheHoldTime() throws {
        try withControlPlane(configuration: fastConfiguration(hold: 0.3)) { control in
            let poller = try TestHTTPClient(control)
            let start = Posix.monotonicNanoseconds()
            try poller.send("GET", "/v1/snapshot?instance=details-v1-0&after=1")
            let response = try poller.readResponse(within: 5)
            let elapsed = Double(Posix.monotonicNanoseconds() - start) / 1e9
            #expect(response.status == 204)
            #expect(response.body.isEmpty)
            #expect(elapsed >= 0.29, "answered after \(elapsed) s")
            #expect(control.heldPollCount == 0)
        }
    }

    @Test func everyHeldPollGetsTheNewVersion() throws {
        try withControlPlane { control in
            let sidecars = [productpage, details, reviewsV1a]
            var pollers: [TestHTTPClient] = []
            for sidecar in sidecars {
                let poller = try TestHTTPClient(control)
                try poller.send("GET", "/v1/snapshot?instance=\(sidecar.instance)&after=1")
                pollers.append(poller)
            }
            #expect(eventually { control.heldPollCount == 3 })
            try ratingsB.heartbeat(control)
            for poller in pollers {
                let snapshot = try poller.readResponse().decode(MeshSnapshot.self)
                #expect(snapshot.version == 2)
                #expect(endpointIDs(snapshot, "ratings") == ["ratings-v1-1"])
            }
        }
    }

    @Test func pollOfAClientThatWentAwayIsDropped() throws {
        try withControlPlane { control in
            let poller = try TestHTTPClient(control)
            try poller.send("GET", "/v1/snapshot?instance=details-v1-0&after=1")
            #expect(eventually { control.heldPollCount == 1 })
            poller.reset()
            #expect(eventually { control.heldPollCount == 0 }, "the aborted exchange is still held")
            // A change afterwards answers nobody and breaks nothing.
            try details.heartbeat(control)
            #expect(try currentSnapshot(control).version == 2)
        }
    }

    @Test func liveRouteChangeWakesHeldPolls() throws {
        try withControlPlane { control in
            let poller = try TestHTTPClient(control)
            try poller.send("GET", "/v1/snapshot?instance=productpage-v1-0&after=1")
            #expect(eventually { control.heldPollCount == 1 })
            let version = try control.replaceRoutes(destination: "reviews", routes: [RouteConfig(split: ["v1": 50, "v2": 50])])
            #expect(version == 2)
            let snapshot = try poller.readResponse().decode(MeshSnapshot.self)
            #expect(snapshot.version == 2)
            #expect(snapshot.services["reviews"]?.routes == [RouteConfig(split: ["v1": 50, "v2": 50])])
        }
    }

    @Test func badPollsAreRejected() throws {
        try withControlPlane { control in
            let cases: [(String, String)] = [
                ("/v1/snapshot", "missing query parameter 'instance'"),
                ("/v1/snapshot?after=1", "missing query parameter 'instance'"),
                ("/v1/snapshot?instance=nobody-v1-0&after=1", "instance: unknown instance 'nobody-v1-0'; not in the topology"),
                ("/v1/snapshot?instance=details-v1-0&after=abc", "after: expected a version number >= 0, got 'abc'"),
                ("/v1/snapshot?instance=details-v1-0&after=-1", "after: expected a version number >= 0, got '-1'"),
            ]
            for (target, message) in cases {
                let response = try TestHTTPClient.request(control, "GET", target)
                #expect(response.status == 400, "\(target)")
                #expect(response.errorMessage == message, "\(target)")
            }
            #expect(control.heldPollCount == 0)
        }
    }

    @Test func shutdownAnswersHeldPolls() throws {
        let control = try ControlPlane(topology: bookinfo(), address: SocketAddress("127.0.0.1:0")!)
        let poller = try TestHTTPClient(control)
        try poller.send("GET", "/v1/snapshot?instance=details-v1-0&after=1")
        #expect(eventually { control.heldPollCount == 1 })
        let start = Posix.monotonicNanoseconds()
        control.shutdown(timeout: 5_000_000_000)
        #expect(Posix.monotonicNanoseconds() - start < 3_000_000_000, "shutdown waited for the hold time")
        #expect(try poller.readResponse().status == 204)
        // State stays readable after shutdown.
        #expect(control.version == 1)
        #expect(control.heldPollCount == 0)
    }
}
