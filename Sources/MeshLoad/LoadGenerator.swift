import MeshIO

/// Runs a load: spreads the connections (and the rate) over one worker per event
/// loop, waits for them to finish, and merges what they measured.
///
/// Closed loop (`rate == nil`): every connection sends its next request as soon as
/// the previous one is answered. Open loop: requests are due at fixed intervals and
/// each latency is measured from the time its request was due, not from when a
/// connection became free to send it, so a stalled server shows as latency instead
/// of silently lowering the offered load (no coordinated omission).
///
/// A duration is a hard stop: no request goes out after it, open-loop requests that
/// were due but found no free connection by then are counted as not sent
/// (`LoadResult.notSent`) instead of being sent late, and requests still in flight get a
/// grace of at most 1 s (less if the request timeout is shorter) before they are cancelled
/// (counted as `cancelled` errors): a run ends by its duration plus that grace.
public enum LoadGenerator {
    /// A running total, for a progress line.
    public struct Progress: Sendable {
        public var completed: Int
        public var elapsed: UInt64
    }

    /// Runs `configuration` to completion; `progress` is called about once a second
    /// from the calling thread. `stop` is asked every few milliseconds on the calling
    /// thread: once it says true, nothing more is sent, requests in flight are cancelled
    /// (counted as `cancelled` errors) and the result so far is returned.
    public static func run(
        _ configuration: LoadConfiguration, progress: ((Progress) -> Void)? = nil, stop: (() -> Bool)? = nil
    ) throws(IOError) -> LoadResult {
        let threads = max(1, min(configuration.threads ?? Posix.processorCount(), configuration.concurrency))
        let group = try EventLoopGroup(threads: threads)
        defer { group.shutdown() }

        var requests = configuration.requests
        if requests == nil, configuration.duration == nil { requests = 1000 }
        let start = Posix.monotonicNanoseconds() &+ 1_000_000
        let stopAt = configuration.duration.map { start &+ $0 } ?? UInt64.max
        let shared = LoadShared(requests: requests, stopAt: stopAt)

        var workers: [LoadWorker] = []
        for (index, loop) in group.loops.enumerated() {
            let connections = configuration.concurrency / threads + (index < configuration.concurrency % threads ? 1 : 0)
            let rate = configuration.rate.map { $0 / Double(threads) }
            workers.append(LoadWorker(loop: loop, shared: shared, configuration: configuration, connections: connections, rate: rate))
        }
        for worker in workers {
            worker.loop.execute { worker.begin(at: start) }
        }

        var lastReport = Posix.monotonicNanoseconds()
        while shared.finishedWorkers.load(ordering: .acquiring) < workers.count {
            Posix.sleep(nanoseconds: 5_000_000)
            if let stop, !shared.cancelled.load(ordering: .relaxed), stop() {
                shared.cancelled.store(true, ordering: .relaxed)
                for worker in workers { worker.loop.execute { worker.cancel() } }
            }
            let now = Posix.monotonicNanoseconds()
            if let progress, now &- lastReport >= 1_000_000_000 {
                lastReport = now
                progress(Progress(completed: shared.completed.load(ordering: .relaxed), elapsed: now &- start))
            }
        }
        var result = LoadResult()
        for worker in workers { result.merge(worker.result) }
        return result
    }
}
