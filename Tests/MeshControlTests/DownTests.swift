import MeshConfig
import MeshControl
import MeshIO
import MeshTestSupport
import Testing

/// `POST /v1/instances/ID/down`: the supervisor saw an instance's app or sidecar end. The
/// endpoint leaves the snapshot at once (held polls answered), stale heartbeats cannot bring
/// it back, and the sidecar's heartbeats do once it noticed (ready: false, or a new process).
@Suite struct DownTests {
    @Test func downRemovesTheEndpointAndWakesHeldPolls() throws {
        try withControlPlane { control in
            try reviewsV1a.heartbeat(control)
            try reviewsV1b.heartbeat(control)
            let before = try currentSnapshot(control)
            #expect(endpointIDs(before, "reviews") == ["reviews-v1-0", "reviews-v1-1"])

            let poller = try TestHTTPClient(control)
            try poller.send("GET", "/v1/snapshot?instance=productpage-v1-0&after=\(before.version)")
            #expect(eventually { control.heldPollCount == 1 }, "the poll was not held")

            let response = try TestHTTPClient.request(control, "POST", "/v1/instances/reviews-v1-0/down")
            #expect(response.status == 200)
            #expect(response.text == "{\"version\":\(before.version + 1)}\n")
            let pushed = try poller.readResponse(within: 5)
            #expect(pushed.status == 200)
            #expect(endpointIDs(try pushed.decode(MeshSnapshot.self), "reviews") == ["reviews-v1-1"])
            #expect(try instanceStatuses(control)["reviews-v1-0"]?.healthy == false)

            // Down again: nothing changes, no new version.
            let again = try TestHTTPClient.request(control, "POST", "/v1/instances/reviews-v1-0/down")
            #expect(again.text == "{\"version\":\(before.version + 1)}\n")
        }
    }

    @Test func staleReadyHeartbeatsDoNotReviveADownInstance() throws {
        try withControlPlane { control in
            let beat = { (ready: Bool, incarnation: String) throws -> Int in
                let body = encodeJSON(Heartbeat(instance: "reviews-v1-0", service: "reviews", version: "v1",
                                                inbound: "127.0.0.1:20003", ready: ready, incarnation: incarnation))
                return try TestHTTPClient.request(control, "POST", "/v1/heartbeat", body: body).status
            }
            #expect(try beat(true, "a") == 204)
            try control.markDown(instance: "reviews-v1-0")
            // Sent before the app died, arriving after: the instance stays out.
            #expect(try beat(true, "a") == 204)
            #expect(endpointIDs(try currentSnapshot(control), "reviews").isEmpty)
            // The sidecar noticed (its probe failed): from now on heartbeats decide again.
            #expect(try beat(false, "a") == 204)
            #expect(endpointIDs(try currentSnapshot(control), "reviews").isEmpty)
            #expect(try beat(true, "a") == 204)
            #expect(endpointIDs(try currentSnapshot(control), "reviews") == ["reviews-v1-0"])

            // A restarted sidecar (another incarnation) brings it back with its first ready beat.
            try control.markDown(instance: "reviews-v1-0")
            #expect(try beat(true, "a") == 204)
            #expect(endpointIDs(try currentSnapshot(control), "reviews").isEmpty)
            #expect(try beat(true, "b") == 204)
            #expect(endpointIDs(try currentSnapshot(control), "reviews") == ["reviews-v1-0"])
        }
    }

    @Test func downOfAnUnknownInstanceOrWithTheWrongMethodIsRefused() throws {
        try withControlPlane { control in
            let unknown = try TestHTTPClient.request(control, "POST", "/v1/instances/nosuch-v1-0/down")
            #expect(unknown.status == 404)
            #expect(unknown.text.contains("unknown instance 'nosuch-v1-0'"))
            let get = try TestHTTPClient.request(control, "GET", "/v1/instances/reviews-v1-0/down")
            #expect(get.status == 405)
            #expect(get.header("allow") == "POST")
            #expect(try TestHTTPClient.request(control, "POST", "/v1/instances//down").status == 404)
            #expect(throws: ControlError.self) { try control.markDown(instance: "nosuch") }
        }
    }

    /// A supervisor may report a death while the control plane shuts down: a late call is
    /// answered from the stopped state instead of trapping.
    @Test func markDownAfterShutdownDoesNotTrap() throws {
        let control = try ControlPlane(topology: bookinfo(), address: SocketAddress("127.0.0.1:0")!)
        control.shutdown(timeout: 2_000_000_000)
        let version = try control.markDown(instance: "reviews-v1-0")
        #expect(version >= 1)
        #expect(throws: ControlError.self) { try control.markDown(instance: "nosuch-v1-0") }
    }
}
