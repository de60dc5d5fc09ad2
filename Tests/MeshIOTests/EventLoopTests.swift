import MeshIO
import MeshTestSupport
import Testing

@Suite struct EventLoopTests {
    @Test func timersFireInDeadlineOrderAndCancelWorks() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let loop = group.loops[0]
        let fired = Shared<[Int]>([])
        loop.execute {
            loop.schedule(after: 30_000_000) { fired.update { $0.append(3) } }
            loop.schedule(after: 10_000_000) { fired.update { $0.append(1) } }
            let cancelled = loop.schedule(after: 20_000_000) { fired.update { $0.append(2) } }
            loop.schedule(after: 1_000_000) { loop.cancel(cancelled) }
            loop.schedule(after: 40_000_000) { fired.update { $0.append(4) } }
        }
        #expect(eventually { fired.value.count == 3 })
        #expect(fired.value == [1, 3, 4])
    }

    @Test func executeRunsOnTheLoopThreadFromOtherThreads() throws {
        let group = try EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let loop = group.loops[1]
        let count = Shared(0)
        let onLoop = Shared(true)
        #expect(!loop.inEventLoop)
        for _ in 0..<1000 {
            loop.execute {
                if !loop.inEventLoop { onLoop.update { $0 = false } }
                count.update { $0 += 1 }
            }
        }
        #expect(eventually { count.value == 1000 })
        #expect(onLoop.value)
    }

    @Test func socketAddressParsing() {
        #expect(SocketAddress("127.0.0.1:8080")?.description == "127.0.0.1:8080")
        #expect(SocketAddress("[::1]:80")?.description == "[::1]:80")
        #expect(SocketAddress("localhost:1")?.description == "127.0.0.1:1")
        #expect(SocketAddress("127.0.0.1:65536") == nil)
        #expect(SocketAddress("127.0.0.1") == nil)
        #expect(SocketAddress("example.com:80") == nil)
        #expect(SocketAddress("127.0.0.1:+5") == nil)
        #expect(SocketAddress("127.0.0.1:80") == SocketAddress("127.0.0.1:80"))
        #expect(SocketAddress("127.0.0.1:80") != SocketAddress("127.0.0.1:81"))
    }
}
