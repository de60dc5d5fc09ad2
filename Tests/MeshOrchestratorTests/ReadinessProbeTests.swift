import MeshIO
import MeshOrchestrator
import Testing

/// Probes pass on the right status only, and fail fast when nothing answers.
@Suite struct ReadinessProbeTests {
    @Test func httpProbeChecksTheStatus() throws {
        let ok = try StubHTTPServer(status: 200)
        let noContent = try StubHTTPServer(status: 204)
        let unavailable = try StubHTTPServer(status: 503)
        defer { [ok, noContent, unavailable].forEach { $0.stop() } }
        #expect(HTTPProbe.status(address: ok.address, path: "/ready") == 200)
        #expect(ReadinessProbe.http(address: ok.address, path: "/", accepts: 200...200).check())
        #expect(!ReadinessProbe.http(address: noContent.address, path: "/", accepts: 200...200).check())
        #expect(ReadinessProbe.http(address: noContent.address, path: "/", accepts: 200...299).check())
        #expect(!ReadinessProbe.http(address: unavailable.address, path: "/", accepts: 200...299).check())
        #expect(ReadinessProbe.tcp(address: unavailable.address).check())
    }

    /// A refused connection fails the probe at once, not after its timeout: with a 30 s
    /// timeout, both probes together take far less than one timeout even on a loaded machine.
    @Test func nothingListeningFailsAtOnce() throws {
        let port = try PortAllocator.allocate(1)[0]
        let start = Posix.monotonicNanoseconds()
        #expect(!ReadinessProbe.http(address: "127.0.0.1:\(port)", path: "/", accepts: 200...200).check(timeout: .seconds(30)))
        #expect(!ReadinessProbe.tcp(address: "127.0.0.1:\(port)").check(timeout: .seconds(30)))
        #expect(Posix.monotonicNanoseconds() - start < 15_000_000_000)
        #expect(!ReadinessProbe.tcp(address: "not an address").check())
    }

    @Test func aServerThatNeverAnswersTimesOut() throws {
        let silent = try StubHTTPServer(status: nil)
        defer { silent.stop() }
        #expect(HTTPProbe.status(address: silent.address, path: "/", timeout: .milliseconds(300)) == nil)
    }

    @Test func descriptions() {
        #expect(ReadinessProbe.http(address: "127.0.0.1:1", path: "/ready", accepts: 200...200).description
            == "GET http://127.0.0.1:1/ready answers 200")
        #expect(ReadinessProbe.http(address: "127.0.0.1:1", path: "/", accepts: 200...299).description
            == "GET http://127.0.0.1:1/ answers 2xx")
        #expect(ReadinessProbe.tcp(address: "127.0.0.1:1").description == "127.0.0.1:1 accepts connections")
    }
}
