import Foundation
import MeshEcho
import MeshHTTPIO
import MeshIO
import MeshLoad
import MeshTestSupport
import Testing

/// LoadGenerator against in-process servers on 127.0.0.1:0.
/// Serialized: the open/closed-loop latency checks should not share the two cores with
/// a 500-request run.
@Suite(.serialized) struct LoadGeneratorTests {
    static let shutdownTimeout: UInt64 = 2_000_000_000

    /// A load aimed at `address`, path `/`.
    static func configuration(_ address: SocketAddress) throws -> LoadConfiguration {
        let target = try LoadTarget.parse(url: "http://\(address)/").get()
        var configuration = LoadConfiguration(target: target)
        configuration.threads = 1
        configuration.timeout = 5_000_000_000  // a hung run fails as timeouts instead of hanging
        return configuration
    }

    // MARK: 1. closed loop

    @Test func closedLoopCountsEveryResponse() throws {
        let group = try EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let echo = try EchoServer(configuration: EchoConfiguration(service: "echo", version: "v1"),
                                  address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { echo.shutdown(timeout: Self.shutdownTimeout) }

        var configuration = try Self.configuration(echo.address)
        configuration.requests = 500
        configuration.concurrency = 4
        configuration.threads = 2  // two workers whose results are merged
        let result = try LoadGenerator.run(configuration)

        #expect(result.total == 500)
        #expect(result.responses == 500)
        #expect(result.statusCounts == [200: 500])
        #expect(result.versionCounts == ["v1": 500])
        #expect(result.errors == 0)
        #expect(result.errorCounts.isEmpty)
        #expect(result.latency.count == 500)
        #expect(result.successRate == 100)
        #expect(result.elapsed > 0)
        #expect(result.throughput > 0)
    }

    // MARK: 2. error rate

    @Test func injectedErrorsAreCountedAsStatus500() throws {
        let group = try EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let echo = try EchoServer(configuration: EchoConfiguration(version: "v1", errorRate: 100),
                                  address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { echo.shutdown(timeout: Self.shutdownTimeout) }

        var configuration = try Self.configuration(echo.address)
        configuration.requests = 500
        configuration.concurrency = 4
        let result = try LoadGenerator.run(configuration)

        #expect(result.total == 500)
        #expect(result.statusCounts == [500: 500])
        #expect(result.versionCounts == ["v1": 500])
        #expect(result.errors == 0)  // a 500 is a response, not a transport error
        #expect(result.successRate == 0)
    }

    // MARK: 3. coordinated omission

    @Test func openLoopCountsQueueingDelay() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let echo = try EchoServer(configuration: EchoConfiguration(version: "v1", latency: 100_000_000),
                                  address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { echo.shutdown(timeout: Self.shutdownTimeout) }

        // Offered: 20 req/s for 1 s. Capacity: one connection × 100 ms = 10 req/s.
        var configuration = try Self.configuration(echo.address)
        configuration.concurrency = 1
        configuration.rate = 20
        configuration.duration = 1_000_000_000
        let result = try LoadGenerator.run(configuration)

        #expect((15...25).contains(result.total), "total \(result.total)")
        #expect(result.errors == 0)
        #expect(result.latency.count == result.total)
        // Request k is due at k × 50 ms but answered at about (k + 1) × 100 ms: the waiting
        // counts, so the tail is near 1 s, far above the 100 ms service time.
        let p99 = result.latency.percentile(99)
        #expect(p99 > 400_000_000, "p99 \(Double(p99) / 1e6) ms hides the queueing delay")
        #expect(result.latency.min >= 100_000_000)
    }

    @Test func closedLoopLatencyStaysNearServiceTime() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let echo = try EchoServer(configuration: EchoConfiguration(version: "v1", latency: 100_000_000),
                                  address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { echo.shutdown(timeout: Self.shutdownTimeout) }

        var configuration = try Self.configuration(echo.address)
        configuration.concurrency = 1
        configuration.duration = 1_000_000_000
        let result = try LoadGenerator.run(configuration)

        #expect((5...12).contains(result.total), "total \(result.total)")
        #expect(result.errors == 0)
        let p99 = result.latency.percentile(99)
        #expect(p99 < 300_000_000, "p99 \(Double(p99) / 1e6) ms")
        #expect(result.latency.min >= 100_000_000)
    }

    // MARK: 4. refused connections

    @Test func refusedConnectionsAreCountedAndTheRunEnds() throws {
        let refusing = try reserveRefusingPort()
        defer { Posix.close(refusing.fd) }

        var configuration = try Self.configuration(refusing.address)
        configuration.requests = 20
        configuration.concurrency = 2
        let result = try LoadGenerator.run(configuration)

        #expect(result.total == 20)
        #expect(result.errorCounts == ["connect": 20])
        #expect(result.statusCounts.isEmpty)
        #expect(result.latency.count == 0)
        #expect(result.successRate == 0)
    }

    // MARK: 6. JSON report

    @Test func jsonReportParses() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let echo = try EchoServer(configuration: EchoConfiguration(version: "v1"),
                                  address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { echo.shutdown(timeout: Self.shutdownTimeout) }

        var configuration = try Self.configuration(echo.address)
        configuration.requests = 20
        configuration.concurrency = 2
        let result = try LoadGenerator.run(configuration)

        let json = result.json(concurrency: 2, rate: nil)
        #expect(json.last == 10)
        let parsed = try JSONSerialization.jsonObject(with: Data(json))
        let object = try #require(parsed as? [String: Any])
        #expect(object["requests"] as? Int == 20)
        #expect(object["responses"] as? Int == 20)
        #expect(object["errors"] as? Int == 0)
        #expect(object["concurrency"] as? Int == 2)
        #expect(object["rate"] is NSNull)
        #expect((object["status"] as? [String: Any])?["200"] as? Int == 20)
        #expect((object["versions"] as? [String: Any])?["v1"] as? Int == 20)
        #expect((object["errorsByKind"] as? [String: Any])?.isEmpty == true)
        let latency = try #require(object["latencySeconds"] as? [String: Any])
        let p99 = try #require(latency["p99"] as? Double)
        #expect(p99 > 0)
        #expect(p99 == Double(result.latency.percentile(99)) / 1e9)
        for key in ["p50", "p90", "p99", "p99.9", "max", "mean"] {
            #expect(latency[key] is Double || latency[key] is Int, "latencySeconds.\(key)")
        }
    }

    @Test func jsonReportEscapesNamesAndShowsTheRate() throws {
        var result = LoadResult()
        result.statusCounts = [200: 3, 503: 1]
        result.versionCounts = ["v\"1\\\n": 3, LoadResult.noVersion: 1]
        result.errorCounts = ["timeout": 2]
        result.latency.record(1_500_000)
        result.elapsed = 2_000_000_000

        let parsed = try JSONSerialization.jsonObject(with: Data(result.json(concurrency: 4, rate: 12.5)))
        let object = try #require(parsed as? [String: Any])
        #expect(object["requests"] as? Int == 6)
        #expect(object["responses"] as? Int == 4)
        #expect(object["rate"] as? Double == 12.5)
        #expect((object["status"] as? [String: Any])?["503"] as? Int == 1)
        let versions = try #require(object["versions"] as? [String: Any])
        #expect(versions["v\"1\\\n"] as? Int == 3)
        #expect(versions["no-version"] as? Int == 1)
        #expect((object["errorsByKind"] as? [String: Any])?["timeout"] as? Int == 2)
        #expect((object["latencySeconds"] as? [String: Any])?["p99"] as? Double == 0.0015)
    }

    // MARK: 7. timeouts

    @Test func unansweredRequestsTimeOut() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let held = Shared<[HeldExchange]>([])
        let aborted = Shared(0)
        let server = try HTTPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in
            SilentHandler(held: held, aborted: aborted)
        }

        var configuration = try Self.configuration(server.address)
        configuration.requests = 3
        configuration.concurrency = 1
        configuration.timeout = 200_000_000
        let result = try LoadGenerator.run(configuration)

        #expect(result.errorCounts == ["timeout": 3])
        #expect(result.total == 3)
        #expect(result.statusCounts.isEmpty)
        #expect(result.latency.count == 0)
        #expect(held.value.count == 3)  // each request reached the server, on its own connection

        abortAll(held)
        #expect(eventually { server.connectionCount == 0 })
        #expect(server.shutdown(timeout: Self.shutdownTimeout))
    }
}
