import CMeshbedShims
import Glibc
import Synchronization

/// A fixed set of event loops, each on its own thread (one per core by default).
public final class EventLoopGroup: Sendable {
    /// The loops, in a stable order.
    public let loops: [EventLoop]
    private let threads: Mutex<[pthread_t]>
    private let next = Atomic<Int>(0)

    /// Starts `threads` loops (default: the number of online processors).
    public init(threads: Int? = nil) throws(IOError) {
        let count = max(1, threads ?? Posix.processorCount())
        var loops: [EventLoop] = []
        for _ in 0..<count { loops.append(try EventLoop()) }
        self.loops = loops
        var started: [pthread_t] = []
        for (index, loop) in loops.enumerated() {
            started.append(try Self.startThread(name: "meshbed-loop-\(index)") { loop.run() })
        }
        self.threads = Mutex(started)
    }

    /// Loops in turn, for spreading work such as outgoing connections.
    public func nextLoop() -> EventLoop {
        loops[next.add(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Stops every loop, waits for its thread to finish, then closes the loops' epoll, event
    /// and timer descriptors (tasks queued afterwards are dropped). Idempotent.
    public func shutdown() {
        let joined = threads.withLock { threads -> [pthread_t] in
            let taken = threads
            threads = []
            return taken
        }
        guard !joined.isEmpty else { return }
        for loop in loops { loop.stop() }
        for thread in joined { pthread_join(thread, nil) }
        for loop in loops { loop.closeDescriptors() }
    }

    private final class ThreadBody {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts a joinable pthread running `body`.
    static func startThread(name: String, _ body: @escaping () -> Void) throws(IOError) -> pthread_t {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let body = Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue()
            body.body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            throw IOError(code: result, function: "pthread_create")
        }
        meshbed_set_thread_name(thread, String(name.prefix(15)))
        return thread
    }
}
