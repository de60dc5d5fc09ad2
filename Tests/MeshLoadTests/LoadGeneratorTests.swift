import Foundation
import MeshEcho
import MeshHTTPIO
import MeshIO
import MeshLoad
import MeshTestSupport
import Testing

/// LoadGenerator against in-process servers on 127.0.0.1:0. No assertion depends on how
/// fast the machine is: counts are exact or bounded by the server's own latency (which a
/// slow machine only lengthens), latencies are compared with each other.
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

        // Offered: 20 req/s for 1 s. Capacity: one connection × 100 ms = 10 req/s at most.
        var configuration = try Self.configuration(echo.address)
        configuration.concurrency = 1
        configuration.rate = 20
        configuration.duration = 1_000_000_000
        let result = try LoadGenerator.run(configuration)

        // Each of the 20 due requests was sent or counted as not sent (the duration is a hard stop).
        #expect(result.total + result.notSent == 20, "sent \(result.total), not sent \(result.notSent)")
        #expect(result.total >= 1 && result.total <= 11, "total \(result.total)")
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
        configuration.requests = 12
        let result = try LoadGenerator.run(configuration)

        #expect(result.total == 12)
        #expect(result.errors == 0)
        #expect(result.latency.min >= 100_000_000)
        // Each latency is one service time, not the waiting for the earlier requests: the
        // slowest of 12 sequential requests is far below half of the whole run (in open
        // loop the last one's latency grows with the queue instead).
        #expect(result.latency.max < result.elapsed / 2, "max \(Double(result.latency.max) / 1e6) ms of \(Double(result.elapsed) / 1e6) ms")
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

    // MARK: 7. hard stop and cancellation

    /// Offered far more than the target can take: the run still ends at its duration, and
    /// what was due but never sent is counted, so sent + not sent is the planned count.
    @Test func durationIsAHardStopAndUnsentRequestsAreCounted() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let echo = try EchoServer(configuration: EchoConfiguration(version: "v1", latency: 10_000_000),
                                  address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { echo.shutdown(timeout: Self.shutdownTimeout) }

        var configuration = try Self.configuration(echo.address)
        configuration.concurrency = 2
        configuration.rate = 5_000
        configuration.duration = 400_000_000  // 2,000 due
        let started = Posix.monotonicNanoseconds()
        let result = try LoadGenerator.run(configuration)
        let took = Posix.monotonicNanoseconds() - started

        #expect(result.total + result.notSent == 2_000, "sent \(result.total), not sent \(result.notSent)")
        // Two connections at 10 ms or more per answer send at most 82 in 0.4 s.
        #expect(result.total <= 82 && result.total >= 2, "sent \(result.total)")
        #expect(result.errors == 0)
        #expect(result.latency.count == result.total)
        #expect(result.text(concurrency: 2, rate: 5_000).contains("not sent \(result.notSent): "))
        // Sending the late ones after the end would take another 9.6 s; 4 s is ample for "it ended".
        #expect(took < 4_000_000_000, "took \(Double(took) / 1e9) s")
    }

    /// `stop` ends a run that would go on for a minute: nothing more is sent, requests in
    /// flight are cancelled, and the result so far comes back.
    @Test(arguments: [nil, 1_000.0] as [Double?])
    func stopEndsTheRunEarly(rate: Double?) throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let echo = try EchoServer(configuration: EchoConfiguration(version: "v1", latency: 10_000_000),
                                  address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { echo.shutdown(timeout: Self.shutdownTimeout) }

        var configuration = try Self.configuration(echo.address)
        configuration.concurrency = 2
        configuration.rate = rate
        configuration.duration = 60_000_000_000
        var asked = 0
        let started = Posix.monotonicNanoseconds()
        let result = try LoadGenerator.run(configuration, stop: {
            asked += 1
            return asked > 20  // about 100 ms in
        })
        let took = Posix.monotonicNanoseconds() - started

        #expect(took < 30_000_000_000, "a stopped run ends long before its minute: \(Double(took) / 1e9) s")
        #expect(Set(result.errorCounts.keys).isSubset(of: ["cancelled"]), "\(result.errorCounts)")
        #expect(result.responses + (result.errorCounts["cancelled"] ?? 0) == result.total)
    }

    /// Requests in flight when the duration ends get a short grace and are then cancelled:
    /// a server that never answers cannot hold the run for the 30 s request timeout.
    @Test(arguments: [nil, 100.0] as [Double?])
    func requestsInFlightAtTheEndAreCancelledAfterAGrace(rate: Double?) throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let held = Shared<[HeldExchange]>([])
        let aborted = Shared(0)
        let server = try HTTPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in
            SilentHandler(held: held, aborted: aborted)
        }

        var configuration = try Self.configuration(server.address)
        configuration.concurrency = 2
        configuration.rate = rate
        configuration.duration = 300_000_000
        configuration.timeout = 30_000_000_000
        let started = Posix.monotonicNanoseconds()
        let result = try LoadGenerator.run(configuration)
        let took = Posix.monotonicNanoseconds() - started

        // 0.3 s plus a 1 s grace; the request timeout would be 30 s. 8 s cannot flake.
        #expect(took < 8_000_000_000, "took \(Double(took) / 1e9) s")
        #expect(result.errorCounts == ["cancelled": 2], "\(result.errorCounts)")
        #expect(result.total == 2)
        #expect(result.responses == 0)
        #expect(result.text(concurrency: 2, rate: rate).contains("cancelled 2: still in flight when the run ended"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.json(concurrency: 2, rate: rate))) as? [String: Any])
        #expect((object["errorsByKind"] as? [String: Any])?["cancelled"] as? Int == 2)
        #expect(object["errors"] as? Int == 2)

        abortAll(held)
        #expect(eventually { server.connectionCount == 0 })
        #expect(server.shutdown(timeout: Self.shutdownTimeout))
    }

    // MARK: 8. timeouts

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
