import CMeshbedShims
import Glibc
import Synchronization

/// Something registered with an event loop that reacts to readiness of its descriptor.
protocol Selectable: AnyObject {
    /// Called on the loop thread with the epoll event mask.
    func handleEvents(_ events: UInt32)
}

/// Identifies a scheduled timer so it can be cancelled.
public struct TimerID: Hashable, Sendable {
    let value: UInt64
}

/// One thread running an epoll loop: I/O readiness, timers and tasks from other threads.
///
/// Everything a loop owns (connections, listeners, timers) is touched only on its
/// thread, from accept to close, so the data path takes no lock. Other threads talk
/// to a loop with `execute`, which queues a task and wakes the loop through an eventfd.
///
///     epoll_wait ─┬─ socket fd  → Selectable.handleEvents
///                 ├─ eventfd    → run queued tasks
///                 └─ timerfd    → run due timers
///
/// After a wake that found work, the loop polls once more, and if nothing is ready yet it
/// yields the processor and polls again before it sleeps: on a busy machine the peer's
/// answer is often one scheduling slice away, and catching it without a sleep and wake-up
/// raised the mTLS sidecar pair's requests/s by ~15% on 2 cores (Benchmarks/mtls.sh).
/// `MESHIO_NO_YIELD=1` in the environment turns this off, for side-by-side measurements.
public final class EventLoop: @unchecked Sendable {
    private let epfd: Int32
    private let wakeFD: Int32
    private let timerFD: Int32

    // Loop-thread state.
    private var selectables: [Selectable?] = []
    private var generations: [UInt32] = []
    private var timerHeap: [(deadline: UInt64, id: UInt64)] = []
    private var timerCallbacks: [UInt64: () -> Void] = [:]
    private var nextTimerID: UInt64 = 1
    private var armedDeadline: UInt64 = 0
    private var stopping = false
    /// A 64 KiB read buffer shared by every connection on this loop.
    let readBuffer: UnsafeMutableRawBufferPointer

    // Cross-thread state.
    /// The loop thread's id (0 until `run` starts, and again after it returned): read from any thread.
    private let threadID = Atomic<UInt>(0)
    /// Queued tasks, and whether the descriptors are closed (then nothing may signal the eventfd).
    private let tasks = Mutex<(queue: [@Sendable () -> Void], closed: Bool)>(([], false))
    private let wakePending = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)

    /// The loop's cached clock: CLOCK_MONOTONIC nanoseconds at the start of this iteration.
    public private(set) var now: UInt64 = Posix.monotonicNanoseconds()

    private static let wakeToken: UInt64 = UInt64.max
    private static let timerToken: UInt64 = UInt64.max - 1

    public init() throws(IOError) {
        epfd = try Posix.epollCreate()
        wakeFD = try Posix.eventfdCreate()
        timerFD = try Posix.timerfdCreate()
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        try Posix.epollControl(epfd, EPOLL_CTL_ADD, wakeFD, events: EPOLLIN.rawValue, data: Self.wakeToken)
        try Posix.epollControl(epfd, EPOLL_CTL_ADD, timerFD, events: EPOLLIN.rawValue, data: Self.timerToken)
    }

    deinit {
        closeDescriptors()
        readBuffer.deallocate()
    }

    /// Closes the epoll, event and timer descriptors once the loop no longer runs (the group
    /// does this after joining the thread). Tasks queued afterwards are dropped.
    func closeDescriptors() {
        precondition(!running.load(ordering: .acquiring), "closing the descriptors of a running loop")
        tasks.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            state.queue.removeAll()
            Posix.close(epfd)
            Posix.close(wakeFD)
            Posix.close(timerFD)
        }
    }

    /// The loop's descriptors: epoll, eventfd, timerfd (for tests of their lifetime).
    package var descriptors: [Int32] { [epfd, wakeFD, timerFD] }

    /// True when called on this loop's thread.
    public var inEventLoop: Bool {
        let id = threadID.load(ordering: .acquiring)
        return id != 0 && pthread_equal(id, pthread_self()) != 0
    }

    /// Runs `task` on the loop thread. Safe to call from any thread; a loop whose group shut
    /// down drops it.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        tasks.withLock { state in
            guard !state.closed else { return }
            state.queue.append(task)
            // Under the lock, so the descriptor cannot be closed (and its number reused) meanwhile.
            if !wakePending.exchange(true, ordering: .acquiringAndReleasing) {
                Posix.eventfdSignal(wakeFD)
            }
        }
    }

    // MARK: registration (loop thread only)

    func register(_ fd: Int32, _ selectable: Selectable, events: UInt32) throws(IOError) {
        let index = Int(fd)
        if index >= selectables.count {
            let newCount = max(index + 1, selectables.count * 2, 64)
            selectables.append(contentsOf: repeatElement(nil, count: newCount - selectables.count))
            generations.append(contentsOf: repeatElement(0, count: newCount - generations.count))
        }
        generations[index] &+= 1
        selectables[index] = selectable
        do {
            try Posix.epollControl(epfd, EPOLL_CTL_ADD, fd, events: events, data: token(fd))
        } catch {
            selectables[index] = nil
            throw error
        }
    }

    func modify(_ fd: Int32, events: UInt32) throws(IOError) {
        try Posix.epollControl(epfd, EPOLL_CTL_MOD, fd, events: events, data: token(fd))
    }

    func unregister(_ fd: Int32) {
        let index = Int(fd)
        guard index < selectables.count else { return }
        selectables[index] = nil
        generations[index] &+= 1
        try? Posix.epollControl(epfd, EPOLL_CTL_DEL, fd, events: 0, data: 0)
    }

    func selectable(for fd: Int32) -> Selectable? {
        Int(fd) < selectables.count ? selectables[Int(fd)] : nil
    }

    @inline(__always)
    private func token(_ fd: Int32) -> UInt64 {
        UInt64(generations[Int(fd)]) << 32 | UInt64(UInt32(bitPattern: fd))
    }

    // MARK: timers (loop thread only)

    /// Calls `callback` on the loop thread once `delay` nanoseconds have passed.
    @discardableResult
    public func schedule(after delay: UInt64, _ callback: @escaping () -> Void) -> TimerID {
        schedule(at: Posix.monotonicNanoseconds() &+ delay, callback)
    }

    /// Calls `callback` on the loop thread at a CLOCK_MONOTONIC `deadline` in nanoseconds.
    @discardableResult
    public func schedule(at deadline: UInt64, _ callback: @escaping () -> Void) -> TimerID {
        let id = nextTimerID
        nextTimerID &+= 1
        timerCallbacks[id] = callback
        heapPush((deadline, id))
        if armedDeadline == 0 || deadline < armedDeadline { arm(deadline) }
        return TimerID(value: id)
    }

    /// Cancels a timer that has not fired yet.
    public func cancel(_ timer: TimerID) {
        timerCallbacks[timer.value] = nil
    }

    private func arm(_ deadline: UInt64) {
        armedDeadline = deadline
        try? Posix.timerfdArm(timerFD, deadline: max(deadline, 1))
    }

    private func runTimers() {
        Posix.drain(timerFD)
        armedDeadline = 0
        let current = Posix.monotonicNanoseconds()
        now = current
        while let top = timerHeap.first, top.deadline <= current {
            heapPop()
            if let callback = timerCallbacks.removeValue(forKey: top.id) { callback() }
        }
        // Skip cancelled timers at the top so the timerfd is not armed for nothing.
        while let top = timerHeap.first, timerCallbacks[top.id] == nil { heapPop() }
        if let top = timerHeap.first { arm(top.deadline) }
    }

    private func heapPush(_ element: (deadline: UInt64, id: UInt64)) {
        timerHeap.append(element)
        var child = timerHeap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if timerHeap[parent].deadline <= timerHeap[child].deadline { break }
            timerHeap.swapAt(parent, child)
            child = parent
        }
    }

    private func heapPop() {
        let last = timerHeap.removeLast()
        guard !timerHeap.isEmpty else { return }
        timerHeap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < timerHeap.count else { break }
            var smallest = left
            if left + 1 < timerHeap.count, timerHeap[left + 1].deadline < timerHeap[left].deadline { smallest = left + 1 }
            if timerHeap[parent].deadline <= timerHeap[smallest].deadline { break }
            timerHeap.swapAt(parent, smallest)
            parent = smallest
        }
    }

    // MARK: running

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        threadID.store(pthread_self(), ordering: .releasing)
        running.store(true, ordering: .releasing)
        let capacity: Int32 = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(capacity))
        defer { events.deallocate() }
        let yielding = Posix.environment("MESHIO_NO_YIELD") == nil
        var busy = false
        while !stopping {
            var count = 0
            if yielding && busy {
                count = (try? Posix.epollWait(epfd, events, capacity: capacity, timeout: 0)) ?? 0
                if count == 0 {
                    Posix.yieldProcessor()
                    count = (try? Posix.epollWait(epfd, events, capacity: capacity, timeout: 0)) ?? 0
                }
            }
            if count == 0 { count = (try? Posix.epollWait(epfd, events, capacity: capacity, timeout: -1)) ?? 0 }
            busy = count > 0
            now = Posix.monotonicNanoseconds()
            for i in 0..<count {
                let event = events[i]
                let data = event.data.u64
                if data == Self.wakeToken {
                    runTasks()
                } else if data == Self.timerToken {
                    runTimers()
                } else {
                    let fd = Int(UInt32(truncatingIfNeeded: data))
                    let generation = UInt32(truncatingIfNeeded: data >> 32)
                    guard fd < selectables.count, generations[fd] == generation,
                          let selectable = selectables[fd] else { continue }
                    selectable.handleEvents(event.events)
                }
            }
        }
        threadID.store(0, ordering: .releasing)
        running.store(false, ordering: .releasing)
    }

    private func runTasks() {
        Posix.drain(wakeFD)
        wakePending.store(false, ordering: .releasing)
        let pending = tasks.withLock { state -> [@Sendable () -> Void] in
            let taken = state.queue
            state.queue.removeAll(keepingCapacity: true)
            return taken
        }
        for task in pending { task() }
    }

    /// Asks the loop to return from `run()` after the current iteration. Safe from any thread.
    public func stop() {
        execute { [self] in stopping = true }
    }
}
