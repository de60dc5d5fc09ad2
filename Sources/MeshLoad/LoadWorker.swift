import MeshHTTP
import MeshHTTPIO
import MeshIO
import Synchronization

/// State shared by the workers of one run: the request budget, the stop time, progress.
final class LoadShared: Sendable {
    /// Requests not yet issued (requests mode); Int.max in duration mode.
    let remaining: Atomic<Int>
    /// CLOCK_MONOTONIC time after which no request is issued (duration mode), else UInt64.max.
    let stopAt: UInt64
    let completed = Atomic<Int>(0)
    let finishedWorkers = Atomic<Int>(0)

    init(requests: Int?, stopAt: UInt64) {
        remaining = Atomic(requests ?? Int.max)
        self.stopAt = stopAt
    }

    /// Takes one request from the budget; false when the run is over.
    func take(now: UInt64) -> Bool {
        if now >= stopAt { return false }
        if remaining.load(ordering: .relaxed) == Int.max { return true }
        return remaining.subtract(1, ordering: .relaxed).newValue >= 0
    }
}

/// One connection slot of a worker: sends a request, waits for its response.
final class LoadSlot: HTTPClientResponseHandler {
    unowned let worker: LoadWorker
    var connection: HTTPClientConnection?
    /// When the request was meant to go out (open loop) or went out (closed loop).
    var intended: UInt64 = 0
    var busy = false

    init(worker: LoadWorker) {
        self.worker = worker
    }

    func responseHead(_ head: HTTPResponseHead, on connection: HTTPClientConnection) {
        worker.recordHead(head)
    }

    func responseEnd(on connection: HTTPClientConnection) {
        worker.finished(self, error: nil)
    }

    func exchangeFailed(_ error: HTTPClientError, on connection: HTTPClientConnection) {
        let kind: String
        switch error {
        case .connectFailed: kind = "connect"
        case .connectionLost: kind = "reset"
        case .invalidResponse: kind = "invalid"
        case .cancelled: kind = "timeout"
        }
        self.connection = nil
        worker.finished(self, error: kind)
    }
}

/// Drives the connections of one event loop, closed or open loop, and keeps its own
/// counters and histogram (merged when the run ends), so the hot path takes no lock.
final class LoadWorker: @unchecked Sendable {
    let loop: EventLoop
    let shared: LoadShared
    let configuration: LoadConfiguration
    let request: [UInt8]
    let isHEAD: Bool
    /// Open loop: nanoseconds between this worker's intended send times.
    let interval: Double?

    private var slots: [LoadSlot] = []
    private var freeSlots: [LoadSlot] = []
    private var backlog: [UInt64] = []
    private var backlogHead = 0
    private var scheduled: Double = 0
    private var start: UInt64 = 0
    private var issuing = true
    private var inFlight = 0
    private var done = false
    private var lastCompletion: UInt64 = 0

    // Results, loop-thread only until `finish`.
    private var statusCounts = [Int](repeating: 0, count: 600)
    private var versions: [(bytes: [UInt8], count: Int)] = []
    private var noVersion = 0
    private var errorCounts: [String: Int] = [:]
    private var histogram = LatencyHistogram()
    private(set) var result = LoadResult()

    init(loop: EventLoop, shared: LoadShared, configuration: LoadConfiguration, connections: Int, rate: Double?) {
        self.loop = loop
        self.shared = shared
        self.configuration = configuration
        self.request = configuration.serializedRequest()
        self.isHEAD = configuration.method == "HEAD"
        self.interval = rate.map { 1e9 / $0 }
        for _ in 0..<connections { slots.append(LoadSlot(worker: self)) }
    }

    /// Starts the worker on its loop (call through `loop.execute`).
    func begin(at start: UInt64) {
        self.start = start
        scheduled = Double(start)
        freeSlots = slots.reversed()
        if interval == nil {
            for slot in slots {
                guard shared.take(now: loop.now) else {
                    issuing = false
                    break
                }
                issue(slot, intended: loop.now)
            }
            finishIfDone()
        } else {
            tick()
        }
        sweep()
    }

    // MARK: issuing

    private func issue(_ slot: LoadSlot, intended: UInt64) {
        if let index = freeSlots.lastIndex(where: { $0 === slot }) { freeSlots.remove(at: index) }
        slot.busy = true
        slot.intended = intended
        inFlight += 1
        if slot.connection == nil || !(slot.connection!.isReusable) {
            slot.connection?.close()
            do {
                slot.connection = try HTTPClientConnection.connect(to: configuration.target.address, on: loop)
            } catch {
                slot.connection = nil
                // Fail this request on the next loop turn, so a refused port cannot recurse.
                loop.schedule(after: 10_000_000) { [self] in finished(slot, error: "connect") }
                return
            }
        }
        request.withUnsafeBytes { slot.connection!.send($0, isHEAD: isHEAD, handler: slot) }
    }

    /// Open loop: issue every request whose intended time has come, then sleep until the next.
    private func tick() {
        guard let interval, issuing else { return }
        let now = Posix.monotonicNanoseconds()
        while UInt64(scheduled) <= now {
            guard shared.take(now: UInt64(scheduled)) else {
                issuing = false
                finishIfDone()
                return
            }
            let intended = UInt64(scheduled)
            scheduled += interval
            if let slot = freeSlots.popLast() {
                issue(slot, intended: intended)
            } else {
                backlog.append(intended)  // waits for a connection; its latency keeps counting
            }
        }
        loop.schedule(at: UInt64(scheduled)) { [self] in tick() }
    }

    /// A request ended (with a response, or with an error kind).
    func finished(_ slot: LoadSlot, error: String?) {
        guard slot.busy else { return }
        slot.busy = false
        inFlight -= 1
        let now = Posix.monotonicNanoseconds()
        if let error {
            errorCounts[error, default: 0] += 1
        } else {
            histogram.record(now &- slot.intended)
        }
        lastCompletion = now
        shared.completed.add(1, ordering: .relaxed)
        if interval == nil {
            if shared.take(now: now) {
                issue(slot, intended: now)
                return
            }
            issuing = false
        } else if backlogHead < backlog.count {
            let intended = backlog[backlogHead]
            backlogHead += 1
            if backlogHead == backlog.count {
                backlog.removeAll(keepingCapacity: true)
                backlogHead = 0
            }
            issue(slot, intended: intended)
            return
        }
        freeSlots.append(slot)
        finishIfDone()
    }

    func recordHead(_ head: HTTPResponseHead) {
        if head.status >= 0, head.status < statusCounts.count { statusCounts[head.status] += 1 }
        guard let version = head.headers.firstValue("x-meshbed-version") else {
            noVersion += 1
            return
        }
        for i in versions.indices where versions[i].bytes.elementsEqual(version) {
            versions[i].count += 1
            return
        }
        versions.append((Array(version), 1))
    }

    /// Every 100 ms: fail requests older than the timeout, stop issuing after the deadline.
    private func sweep() {
        guard !done else { return }
        let now = Posix.monotonicNanoseconds()
        for slot in slots where slot.busy && now &- slot.intended > configuration.timeout && slot.connection != nil {
            slot.connection?.close()  // fails the exchange as "timeout" (cancelled)
        }
        if now >= shared.stopAt { issuing = false }
        finishIfDone()
        if !done { loop.schedule(after: 100_000_000) { [self] in sweep() } }
    }

    private func finishIfDone() {
        guard !done, !issuing, inFlight == 0, backlogHead >= backlog.count else { return }
        done = true
        issuing = false
        for slot in slots { slot.connection?.close() }
        var result = LoadResult()
        for (code, count) in statusCounts.enumerated() where count > 0 { result.statusCounts[code] = count }
        for version in versions { result.versionCounts[String(decoding: version.bytes, as: UTF8.self)] = version.count }
        if noVersion > 0, !versions.isEmpty { result.versionCounts[LoadResult.noVersion] = noVersion }
        result.errorCounts = errorCounts
        result.latency = histogram
        result.elapsed = lastCompletion > start ? lastCompletion - start : 0
        self.result = result
        shared.finishedWorkers.add(1, ordering: .releasing)
    }
}
