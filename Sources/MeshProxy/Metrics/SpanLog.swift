import MeshCore
import MeshHTTP
import MeshIO

/// The trace spans one event loop finished, sent to the control plane in batches
/// (`POST /v1/spans` with `{"spans":[...]}`): one span per sampled request and side, read
/// from its decision record, written as JSON straight into a buffer. A batch goes out once
/// 32 KiB wait (the control plane takes bodies up to 64 KiB) or a second after its first
/// span; while two batches are on their way the spans wait, and beyond 1 MiB waiting new
/// ones are dropped and counted (a control plane that is away or slow never grows a
/// sidecar's memory). Confined to its loop.
final class SpanLog: @unchecked Sendable {
    /// A batch goes out once this much waits.
    static let flushBytes = 32 * 1024
    /// The longest a span waits.
    static let flushDelay: UInt64 = 1_000_000_000
    /// Spans beyond this much waiting are dropped.
    static let maxWaiting = 1024 * 1024
    /// Batches on their way at once.
    static let maxInFlight = 2

    /// Sends one batch's body; calls its completion (on the loop) with whether it was taken.
    typealias Output = (_ body: [UInt8], _ done: @escaping (Bool) -> Void) -> Void

    /// One span, from the decision record and the exchange.
    struct Span {
        var traceHigh: UInt64
        var traceLow: UInt64
        var span: UInt64
        /// 0: a root span.
        var parent: UInt64
        var server: Bool
        var peer: String
        var method: HTTPMethod
        var path: [UInt8]
        var status: Int
        var flags: ResponseFlags
        /// Loop-clock (monotonic) start and end, in nanoseconds.
        var startedAt: UInt64
        var endedAt: UInt64
        var attempts: [DecisionRecord.Attempt]
        var fault: String?
    }

    private let timers: any TimerScheduler
    private let wallClock: () -> Int64
    private let output: Output
    /// Who reports: the sidecar's service, version and instance, as JSON text.
    private let reporter: [UInt8]
    private let buffer = LogBuffer(capacity: SpanLog.flushBytes + 8192)
    private var spans = 0
    private var timer: TimerID?
    private var inFlight = 0
    /// Where spans taken and dropped are counted.
    private let counters: ProxyCounters

    init(service: String, version: String, instance: String, counters: ProxyCounters, timers: any TimerScheduler,
         wallClock: @escaping () -> Int64 = Posix.wallClockNanoseconds, output: @escaping Output) {
        self.counters = counters
        self.timers = timers
        self.wallClock = wallClock
        self.output = output
        let text = LogBuffer(capacity: 128)
        text.raw(",\"service\":")
        text.string(service)
        text.raw(",\"version\":")
        text.string(version)
        text.raw(",\"instance\":")
        text.string(instance)
        reporter = Array(text.bytes)
    }

    /// One finished span.
    func append(_ span: Span) {
        guard buffer.count < Self.maxWaiting else {
            counters.spansDropped.add(1, ordering: .relaxed)
            return
        }
        // Loop-clock times to Unix time: now on both clocks, less the time since.
        let now = timers.now
        let wallNow = UInt64(max(0, wallClock()))
        func unix(_ time: UInt64) -> UInt64 { wallNow &- (now &- min(time, now)) }
        let line = buffer
        line.raw(spans == 0 ? "{\"traceId\":\"" : ",{\"traceId\":\"")
        line.hex(span.traceHigh, digits: 16)
        line.hex(span.traceLow, digits: 16)
        line.raw("\",\"spanId\":\"")
        line.hex(span.span, digits: 16)
        if span.parent != 0 {
            line.raw("\",\"parentSpanId\":\"")
            line.hex(span.parent, digits: 16)
        }
        line.raw(span.server ? "\",\"kind\":\"server\"" : "\",\"kind\":\"client\"")
        line.raw(reporter)
        line.raw(",\"peer\":")
        line.string(span.peer)
        line.requestFields(method: span.method, path: span.path, status: span.status, flags: span.flags)
        line.raw(",\"startUnixNano\":")
        line.decimal(unix(span.startedAt))
        line.raw(",\"endUnixNano\":")
        line.decimal(unix(max(span.endedAt, span.startedAt)))
        line.raw(",\"attempts\":")
        line.decimal(span.attempts.count)
        if let last = span.attempts.last {
            line.raw(",\"endpoint\":")
            line.string(last.endpoint)
        }
        if span.attempts.count > 1 || span.fault != nil || span.attempts.contains(where: { $0.retryReason != nil }) {
            line.raw(",\"events\":[")
            var first = true
            if let fault = span.fault {
                appendEvent(unix(span.startedAt), first: &first) { $0.raw("fault "); $0.escaped(fault) }
            }
            for (index, attempt) in span.attempts.enumerated() {
                appendEvent(unix(attempt.startedAt), first: &first) { text in
                    text.raw("attempt ")
                    text.decimal(index + 1)
                    text.raw(" to ")
                    text.escaped(attempt.endpoint)
                    text.raw(": ")
                    text.escaped(attempt.outcome?.text ?? "in flight")
                    if let reason = attempt.retryReason {
                        text.raw(", retried (")
                        text.escaped(reason)
                        text.raw(")")
                    }
                }
            }
            line.raw("]")
        }
        line.raw("}")
        spans += 1
        if line.count >= Self.flushBytes {
            flush()
        } else if timer == nil {
            timer = timers.schedule(at: now &+ Self.flushDelay) { [weak self] in
                self?.timer = nil
                self?.flush()
            }
        }
    }

    /// `{"timeUnixNano":T,"name":"…"}`, the name's pieces written by `name` (literals, and
    /// texts through `escaped`).
    private func appendEvent(_ time: UInt64, first: inout Bool, name: (LogBuffer) -> Void) {
        buffer.raw(first ? "{\"timeUnixNano\":" : ",{\"timeUnixNano\":")
        first = false
        buffer.decimal(time)
        buffer.raw(",\"name\":\"")
        name(buffer)
        buffer.raw("\"}")
    }

    /// Sends the waiting spans now (unless two batches are still on their way: then they wait
    /// for the next flush).
    func flush() {
        if let timer {
            timers.cancel(timer)
            self.timer = nil
        }
        guard spans > 0 else { return }
        guard inFlight < Self.maxInFlight else {
            timer = timers.schedule(at: timers.now &+ Self.flushDelay) { [weak self] in
                self?.timer = nil
                self?.flush()
            }
            return
        }
        var body: [UInt8] = []
        body.reserveCapacity(buffer.count + 12)
        body.append(contentsOf: "{\"spans\":[".utf8)
        body.appendBytes(buffer.bytes)
        body.append(contentsOf: "]}".utf8)
        let count = spans
        buffer.clear()
        spans = 0
        inFlight += 1
        output(body) { [weak self] taken in
            guard let self else { return }
            inFlight -= 1
            if taken {
                counters.spansReported.add(count, ordering: .relaxed)
            } else {
                counters.spansDropped.add(count, ordering: .relaxed)
            }
        }
    }
}
