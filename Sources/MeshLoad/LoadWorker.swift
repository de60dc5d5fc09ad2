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
    /// Set when the caller stops the run early (`LoadGenerator.run`'s `stop`).
    let cancelled = Atomic<Bool>(false)

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
    /// Why the worker closed this slot's connection under its exchange: `timeout` or `cancelled`.
    var closedBecause = "timeout"

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
        case .cancelled: kind = closedBecause
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
    /// Open loop: when each request is due.
    private var schedule: OpenLoopSchedule?
    private var start: UInt64 = 0
    /// The hard stop (the duration ran out, or the run was cancelled) has happened.
    private var stopped = false
    /// Requests that were due but never sent: waiting for a free connection at the stop.
    private var notSent = 0
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
    /// With `explain`: the decision records read so far (nil otherwise: nothing is read).
    private var explain: ExplainSummary?
    private(set) var result = LoadResult()

    init(loop: EventLoop, shared: LoadShared, configuration: LoadConfiguration, connections: Int, rate: Double?) {
        self.loop = loop
        self.shared = shared
        self.configuration = configuration
        self.request = configuration.serializedRequest()
        self.isHEAD = configuration.method == "HEAD"
        self.interval = rate.map { 1e9 / $0 }
        if configuration.explain { explain = ExplainSummary() }
        for _ in 0..<connections { slots.append(LoadSlot(worker: self)) }
    }

    /// Starts the worker on its loop (call through `loop.execute`).
    func begin(at start: UInt64) {
        self.start = start
        freeSlots = slots.reversed()
        if shared.stopAt != UInt64.max {
            loop.schedule(at: shared.stopAt) { [self] in hardStop(now: Posix.monotonicNanoseconds()) }
        }
        if let interval {
            schedule = OpenLoopSchedule(start: start, interval: interval, stopAt: shared.stopAt)
        }
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
        guard issuing, var schedule else { return }
        let now = Posix.monotonicNanoseconds()
        if now >= shared.stopAt {  // a late tick sends nothing after the end
            hardStop(now: now)
            return
        }
        while let intended = schedule.due(now: now) {
            guard shared.take(now: intended) else {  // the request budget is spent
                self.schedule = schedule
                issuing = false
                finishIfDone()
                return
            }
            if let slot = freeSlots.popLast() {
                issue(slot, intended: intended)
            } else {
                backlog.append(intended)  // waits for a connection; its latency keeps counting
            }
        }
        self.schedule = schedule
        // Once every due time is handed out, the timer at `stopAt` ends the run: the
        // backlog may still go out until then.
        if !schedule.isOver { loop.schedule(at: schedule.nextTime) { [self] in tick() } }
    }

    /// How long requests in flight at the end of a run's duration may still take before
    /// they are cancelled: a second, or the request timeout if that is shorter.
    static func grace(timeout: UInt64) -> UInt64 { min(timeout, 1_000_000_000) }

    /// The run's time is up (or it was cancelled): nothing more is sent. Requests still
    /// waiting for a connection, and open-loop requests due by now that were not yet
    /// issued, are counted as not sent; requests in flight get a short grace (`grace`) to
    /// finish and are then cancelled, so a run ends by its duration plus the grace
    /// (`cancel`: their connections are closed now).
    private func hardStop(now: UInt64, cancel: Bool = false) {
        if !stopped {
            stopped = true
            issuing = false
            notSent += backlog.count - backlogHead
            backlog.removeAll()
            backlogHead = 0
            if var schedule {
                while let intended = schedule.due(now: now), shared.take(now: intended) { notSent += 1 }
                self.schedule = schedule
            }
            if !cancel, inFlight > 0 {
                let end = max(now, shared.stopAt == UInt64.max ? now : shared.stopAt)
                loop.schedule(at: end &+ Self.grace(timeout: configuration.timeout)) { [self] in hardStop(now: end, cancel: true) }
            }
        }
        if cancel {
            for slot in slots where slot.busy {
                slot.closedBecause = "cancelled"
                slot.connection?.close()
            }
        }
        finishIfDone()
    }

    /// Stops the run now (call on the loop): see `hardStop`.
    func cancel() {
        hardStop(now: Posix.monotonicNanoseconds(), cancel: true)
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
        if now >= shared.stopAt { hardStop(now: now) }  // before the stop timer if the loop runs late
        if interval == nil {
            if !stopped, shared.take(now: now) {
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
        if explain != nil { explain!.add(response: head.headers.values("x-meshbed-explain")) }
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
            slot.closedBecause = "timeout"
            slot.connection?.close()  // fails the exchange as "timeout" (cancelled)
        }
        if now >= shared.stopAt || shared.cancelled.load(ordering: .relaxed) {
            hardStop(now: now, cancel: shared.cancelled.load(ordering: .relaxed))
        } else {
            finishIfDone()
        }
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
        result.notSent = notSent
        result.latency = histogram
        result.explain = explain
        result.elapsed = lastCompletion > start ? lastCompletion - start : 0
        self.result = result
        shared.finishedWorkers.add(1, ordering: .releasing)
    }
}
