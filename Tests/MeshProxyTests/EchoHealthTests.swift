import Foundation
import MeshEcho
import MeshIO
import Testing

/// The echo app's health check answers at once whatever behavior it was given, so an
/// instance told to fail (or be slow on) every request is still ready and routable.
@Suite struct EchoHealthTests {
    @Test func healthzIgnoresErrorRateAndLatency() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let configuration = EchoConfiguration(service: "bad", version: "v1", errorRate: 100, latency: 5_000_000_000)
        let echo = try EchoServer(configuration: configuration, address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { echo.shutdown() }
        let health = curl(["-s", "-w", " %{http_code}", "--max-time", "2", "http://\(echo.address)/healthz"])
        #expect(health == "{\"status\":\"ok\"}\n 200")
        // Any other path has the behavior: a 500 after the latency (not waited for here).
        let other = curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "0.5", "http://\(echo.address)/"])
        #expect(other == "000", "the configured latency applies elsewhere")
    }
}
