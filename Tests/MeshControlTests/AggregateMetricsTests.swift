import Foundation
import MeshConfig
@testable import MeshControl
import MeshIO
import Testing

/// `GET /v1/metrics` with sidecars that do not answer: named, counted, and the answer still
/// comes (within the gathering's 2 s) as a valid scrape.
@Suite struct AggregateMetricsTests {
    @Test func silentSidecarsAreNamedAndCounted() throws {
        try withControlPlane { control in
            // An address nothing listens on: bound, then closed.
            let (socket, port) = try Posix.bindFreeLoopbackPort()
            Posix.close(socket)
            let address = SocketAddress("127.0.0.1:\(port)")!
            let beat = Heartbeat(instance: "details-v1-0", service: "details", version: "v1", inbound: "127.0.0.1:20002", ready: true,
                                 admin: address.description)
            #expect(try TestHTTPClient.request(control, "POST", "/v1/heartbeat", body: encodeJSON(beat)).status == 204)
            let response = try TestHTTPClient.request(control, "GET", "/v1/metrics")
            #expect(response.status == 200)
            let text = String(decoding: response.body, as: UTF8.self)
            #expect(text.hasPrefix("# meshbed: the counters and histograms of 0 sidecars added up; no scrape from details-v1-0\n"), "\(text)")
            #expect(text.contains(#"meshbed_aggregate_sidecars{answered="false"} 1"#) && text.contains(#"meshbed_aggregate_sidecars{answered="true"} 0"#))
        }
    }

    @Test func noSidecarsYetIsAnEmptyAggregate() throws {
        try withControlPlane { control in
            let text = String(decoding: try TestHTTPClient.request(control, "GET", "/v1/metrics").body, as: UTF8.self)
            #expect(text.contains(#"meshbed_aggregate_sidecars{answered="true"} 0"#) && !text.contains("no scrape from"))
        }
    }
}
