import MeshConfig
import MeshControl
import MeshTestSupport
import Testing

/// `POST /v1/ack`: applied and rejected versions per instance, shown by `/v1/instances`.
@Suite struct AckTests {
    @Test func acksAndRejectionsShowInInstances() throws {
        try withControlPlane { control in
            try reviewsV1a.heartbeat(control)
            try reviewsV2.heartbeat(control)  // version 3
            #expect(try reviewsV1a.ack(control, version: 3).status == 204)
            #expect(try reviewsV2.ack(control, version: 2).status == 204)
            #expect(try reviewsV2.ack(control, version: 3, error: "split names unknown version v9").status == 204)

            var statuses = try instanceStatuses(control)
            #expect(statuses["reviews-v1-0"]?.ackedVersion == 3)
            #expect(statuses["reviews-v1-0"]?.rejected == nil)
            #expect(statuses["reviews-v2-0"]?.ackedVersion == 2)
            #expect(statuses["reviews-v2-0"]?.rejected
                == Ack(instance: "reviews-v2-0", version: 3, error: "split names unknown version v9"))
            #expect(statuses["details-v1-0"]?.ackedVersion == nil)

            // A later applied version clears the rejection.
            try ratingsA.heartbeat(control)  // version 4
            #expect(try reviewsV2.ack(control, version: 4).status == 204)
            statuses = try instanceStatuses(control)
            #expect(statuses["reviews-v2-0"]?.ackedVersion == 4)
            #expect(statuses["reviews-v2-0"]?.rejected == nil)
        }
    }

    @Test func rejectionOfAnUndecodableSnapshotIsRecorded() throws {
        // A sidecar that could not decode a snapshot does not know its version.
        try withControlPlane { control throws in
            #expect(try details.ack(control, version: -1, error: "could not apply snapshot").status == 204)
            #expect(try instanceStatuses(control)["details-v1-0"]?.rejected?.version == -1)
        }
    }

    @Test func badAcksAreRejected() throws {
        try withControlPlane { control in
            let stranger = FakeSidecar("reviews-v7-0", service: "reviews", inbound: "127.0.0.1:1")
            let unknown = try stranger.ack(control, version: 1)
            #expect(unknown.status == 400)
            #expect(unknown.errorMessage == "instance: unknown instance 'reviews-v7-0'; not in the topology")

            let future = try details.ack(control, version: 9)
            #expect(future.status == 400)
            #expect(future.errorMessage == "version: 9 was never issued (current version is 1)")

            let zero = try details.ack(control, version: 0)
            #expect(zero.status == 400)
            #expect(try instanceStatuses(control)["details-v1-0"]?.ackedVersion == nil)
        }
    }
}
