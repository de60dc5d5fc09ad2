import Glibc
import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshTestSupport
import Testing

/// Issue 7, item 16: a connection that fails to start was counted as open and never
/// uncounted, so `shutdown` waited its whole timeout for it and then reported failure.
@Suite struct ServerShutdownTests {
    @Test func aConnectionThatFailsToStartIsNotWaitedFor() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let calls = Shared(0)
        // The first "accepted" descriptor is a regular file, which epoll refuses: that
        // connection cannot start. The real connection is accepted by the next call.
        let server = try HTTPServer(group: group, address: SocketAddress("127.0.0.1:0")!, configuration: .init(), accept: { fd throws(IOError) in
            var first = false
            calls.update {
                $0 += 1
                first = $0 == 1
            }
            if first { return open("/proc/self/exe", O_RDONLY | O_CLOEXEC) }
            return try Posix.accept(fd)
        }, handlerFactory: { _ in ScriptedHandler() })

        #expect(normalRequestStatus(server.address) == 200)
        #expect(calls.value >= 2)
        #expect(eventually { server.connectionCount == 0 })
        #expect(server.shutdown(timeout: 5_000_000_000), "shutdown waited for a connection that never started")
    }
}
