import Glibc
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
            // Deadlines from one instant: the order is the deadlines', however late the loop runs.
            let base = Posix.monotonicNanoseconds()
            loop.schedule(at: base + 30_000_000) { fired.update { $0.append(3) } }
            loop.schedule(at: base + 10_000_000) { fired.update { $0.append(1) } }
            let cancelled = loop.schedule(at: base + 20_000_000) { fired.update { $0.append(2) } }
            loop.schedule(at: base + 1_000_000) { loop.cancel(cancelled) }
            loop.schedule(at: base + 40_000_000) { fired.update { $0.append(4) } }
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

/// Issue 7, item 16: a loop's thread identity and descriptors end with its group.
@Suite struct EventLoopLifetimeTests {
    /// `inEventLoop` reads the loop's thread id from any thread (now an atomic). Once the loop
    /// has ended, a new thread that happens to get the same pthread id (glibc reuses them)
    /// must not be taken for the loop's thread.
    @Test func aFinishedLoopIsNobodysLoop() throws {
        let first = try EventLoopGroup(threads: 1)
        let old = first.loops[0]
        #expect(onLoop(old) { old.inEventLoop } == true)
        #expect(!old.inEventLoop)
        first.shutdown()
        for _ in 0..<5 {
            let next = try EventLoopGroup(threads: 1)
            let loop = next.loops[0]
            #expect(onLoop(loop) { old.inEventLoop } == false)
            #expect(onLoop(loop) { loop.inEventLoop } == true)
            next.shutdown()
        }
    }

    /// After `shutdown` the loops' epoll, event and timer descriptors are closed, though the
    /// loops themselves are still referenced. (Other tests open descriptors in parallel and may
    /// get a freed number back, so most, not all, must be gone or no longer an epoll/event/timer.)
    @Test func shutdownClosesTheLoopsDescriptors() throws {
        var groups: [EventLoopGroup] = []
        var descriptors: [Int32] = []
        for _ in 0..<8 {
            let group = try EventLoopGroup(threads: 1)
            groups.append(group)
            descriptors += group.loops[0].descriptors
        }
        #expect(descriptors.allSatisfy { Self.isLoopDescriptor($0) })
        for group in groups { group.shutdown() }
        let stillOpen = descriptors.filter { Self.isLoopDescriptor($0) }.count
        #expect(stillOpen < descriptors.count / 2, "\(stillOpen) of \(descriptors.count) loop descriptors open after shutdown")
        // Tasks for a loop that is gone are dropped, not written to a closed (or reused) descriptor.
        groups[0].loops[0].execute { Issue.record("a task ran on a loop that shut down") }
        groups[0].shutdown()
        #expect(groups.count == 8)
    }

    /// Whether `fd` is open and is an epoll, event or timer descriptor.
    static func isLoopDescriptor(_ fd: Int32) -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        let n = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        guard n > 0 else { return false }
        let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return target == "anon_inode:[eventpoll]" || target == "anon_inode:[eventfd]" || target == "anon_inode:[timerfd]"
    }
}
