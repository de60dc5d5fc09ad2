import Glibc
import MeshIO
import MeshTestSupport
import Testing

/// Issue 7, item 6: when accepting fails because the process is out of descriptors, the
/// level-triggered listener must not be retried at once (that spun at 77% CPU while nothing
/// could be accepted): it pauses, then accepts the waiting connections.
@Suite struct AcceptBackoffTests {
    @Test(arguments: [EMFILE, ENFILE])
    func outOfDescriptorsPausesAcceptingThenServes(_ code: Int32) throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let calls = Shared<[UInt64]>([])
        let failures = 3
        let log = Shared<[String]>([])
        let server = try TCPServer(group: group, address: SocketAddress("127.0.0.1:0")!, maxConnections: nil, accept: { fd throws(IOError) in
            var failing = false
            calls.update {
                $0.append(Posix.monotonicNanoseconds())
                failing = $0.count <= failures
            }
            if failing { throw IOError(code: code, function: "accept4") }
            return try Posix.accept(fd)
        }, factory: { _ in EchoBack(log: log) })
        defer { server.close() }

        // The connection waits in the backlog through the failures, then is served.
        let reply = try rawExchange(server.address, Array("ping".utf8), halfClose: true, within: 10)
        #expect(reply.text == "ping")
        #expect(server.acceptBackoffs == failures)
        let times = calls.value
        #expect(times.count > failures)
        // Each failed attempt is followed by a pause, not by another attempt at once. (A lower
        // bound: a loaded machine only makes the gaps longer.)
        for i in 0..<min(failures, times.count - 1) {
            #expect(times[i + 1] - times[i] >= 100_000_000, "attempt \(i + 2) came \(times[i + 1] - times[i]) ns after a failure")
        }
    }
}
