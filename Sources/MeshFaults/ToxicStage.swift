import MeshCore

/// One toxic at work on one direction of one connection: the bytes it holds, when they may
/// leave, and its per-connection state (bytes passed, the link's busy time, ...).
///
/// A `ToxicChain` drives it: `accept` takes bytes (releasing at once what is due),
/// `release` lets go of what fell due by a time, `nextDeadline` says when to come back.
/// Bytes always leave in the order they came; the end of stream (`acceptEOF`) leaves behind
/// the last byte held. Nothing here reads a clock or calls out except through `emit`.
final class ToxicStage {
    /// The toxic's current settings (`reconfigure` changes them; held bytes keep their times).
    private(set) var toxic: Toxic
    /// Bytes held, oldest first.
    private(set) var held = ByteQueue()
    /// Whether the end of stream reached this stage (it leaves once `eofIsDue`).
    private(set) var eofIn = false
    /// Whether the end of stream left this stage.
    var eofPassed = false

    private let context: StageContext
    private var random: SeededRandom
    private var marks = ChunkMarks()
    /// Bytes taken in and let go so far (the marks' positions count in these).
    private var inCount: UInt64 = 0
    private var outCount: UInt64 = 0
    /// When the stage started on the connection, the first byte came, the end of stream came.
    private let startedAt: UInt64
    private var firstByteAt: UInt64?
    private var eofAt: UInt64 = 0
    /// Bytes let through (reset, limit_data).
    private var passed = 0
    /// Whether the stage asked for the connection's end (it then drops what comes).
    private var ended = false
    /// latency: when the last chunk leaves (a later one never leaves before it).
    private var lastLeaveAt: UInt64 = 0
    /// bandwidth: the current busy run started at `runStart` and has sent `runBytes` since.
    private var runStart: UInt64 = 0
    private var runBytes: UInt64 = 0
    /// slicer: the earliest time the next piece may leave.
    private var nextPieceAt: UInt64 = 0

    /// A stage for `toxic` starting at `now`, drawing from `seed`.
    init(toxic: Toxic, now: UInt64, seed: UInt64, context: StageContext) {
        self.toxic = toxic
        self.context = context
        random = SeededRandom(seed: seed)
        startedAt = now
    }

    /// Takes new settings of the same kind at `now`; what is held keeps its place (a latency's
    /// chunks their times; a bandwidth's link starts a new run at the new rate).
    func reconfigure(_ toxic: Toxic, now: UInt64) {
        self.toxic = toxic
        runStart = now
        runBytes = 0
    }

    // MARK: bytes in

    /// Takes `bytes` that arrived at `now`: holds them, passes them on (`emit`), or drops them,
    /// as the toxic does; then releases what is due.
    func accept(_ bytes: UnsafeRawBufferPointer, now: UInt64, emit: (UnsafeRawBufferPointer) -> Void) {
        guard !bytes.isEmpty else { return }
        if firstByteAt == nil { firstByteAt = now }
        tick(now: now)
        if ended {
            context.countDropped(bytes.count)
            return
        }
        switch toxic.kind {
        case .latency(let latency, let jitter):
            lastLeaveAt = max(lastLeaveAt, Self.adding(now, drawDelay(latency: latency, jitter: jitter)))
            hold(bytes, time: lastLeaveAt)
        case .bandwidth:
            if held.isEmpty {
                runStart = now
                runBytes = 0
            }
            // No marks: the link sends bytes as they finish, whatever chunk they came in.
            held.append(bytes)
            inCount += UInt64(bytes.count)
        case .slicer:
            hold(bytes, time: now)
        case .slowClose:
            emit(bytes)
            return
        case .blackhole:
            context.countDropped(bytes.count)
            return
        case .reset(let afterBytes, let after):
            guard afterBytes != nil || after != nil else {
                end(.reset, dropping: bytes.count)
                return
            }
            passLimited(bytes, limit: afterBytes, ending: .reset, emit: emit)
            return
        case .limitData(let limit):
            passLimited(bytes, limit: limit, ending: .close, emit: emit)
            return
        }
        context.countDelayed(bytes.count)
        release(now: now, emit: emit)
    }

    /// The end of stream arrived at `now` (behind every byte accepted before).
    func acceptEOF(now: UInt64) {
        guard !eofIn else { return }
        eofIn = true
        eofAt = now
    }

    /// Whether the end of stream may leave at `now`: it came, every byte before it left, and
    /// (slow_close) its delay passed.
    func eofIsDue(now: UInt64) -> Bool {
        guard eofIn, !eofPassed, held.isEmpty else { return false }
        if case .slowClose(let delay) = toxic.kind { return now >= Self.adding(eofAt, Self.nanoseconds(delay)) }
        return true
    }

    // MARK: bytes out

    /// Lets go of what fell due by `now`, in order; asks for the connection's end when the
    /// toxic's time came.
    func release(now: UInt64, emit: (UnsafeRawBufferPointer) -> Void) {
        tick(now: now)
        switch toxic.kind {
        case .latency:
            while let mark = marks.first, mark.time <= now {
                take(Int(mark.end - outCount), emit)
                marks.removeFirst()
            }
        case .bandwidth(let rate):
            guard !held.isEmpty, now > runStart else { return }
            let sent = Self.bytes(in: now - runStart, rate: UInt64(rate))
            let sendable = sent > runBytes ? sent - runBytes : 0
            let count = Int(min(UInt64(held.count), sendable))
            take(count, emit)
            runBytes += UInt64(count)
        case .slicer(let average, let variation, let delay):
            while let mark = marks.first {
                let at = max(nextPieceAt, mark.time)
                guard at <= now else { break }
                let remaining = Int(mark.end - outCount)
                var size = remaining
                if remaining > average + variation {
                    size = average - variation + Int(random.next() % UInt64(2 * variation + 1))
                }
                take(size, emit)
                if size == remaining { marks.removeFirst() }
                nextPieceAt = Self.adding(at, Self.nanoseconds(delay))
            }
        case .slowClose, .blackhole, .reset, .limitData:
            return
        }
    }

    /// Lets go of everything held at once, in order (the stage is being removed).
    func drain(emit: (UnsafeRawBufferPointer) -> Void) {
        take(held.count, emit)
        marks.removeAll()
    }

    /// When the stage next has something to do (bytes or an end of stream to let go, the
    /// connection to end), if ever.
    func nextDeadline() -> UInt64? {
        var deadline: UInt64?
        func consider(_ time: UInt64) { deadline = min(deadline ?? .max, time) }
        switch toxic.kind {
        case .latency:
            if let mark = marks.first { consider(mark.time) }
        case .bandwidth(let rate):
            if !held.isEmpty {
                // The next tenth of a second of data at most, so a slow link sends steadily.
                let slice = min(UInt64(held.count), max(1, UInt64(rate) / 10))
                consider(Self.adding(runStart, Self.nanoseconds(for: runBytes + slice, rate: UInt64(rate))))
            }
        case .slicer:
            if let mark = marks.first { consider(max(nextPieceAt, mark.time)) }
        case .slowClose(let delay):
            if eofIn, !eofPassed { consider(Self.adding(eofAt, Self.nanoseconds(delay))) }
        case .blackhole(let closeAfter):
            if let closeAfter, !ended { consider(Self.adding(startedAt, Self.nanoseconds(closeAfter))) }
        case .reset(_, let after):
            if let after, let firstByteAt, !ended { consider(Self.adding(firstByteAt, Self.nanoseconds(after))) }
        case .limitData:
            break
        }
        return deadline
    }

    // MARK: helpers

    /// Ends the connection when the toxic's time came (blackhole, reset after a time).
    private func tick(now: UInt64) {
        guard !ended else { return }
        switch toxic.kind {
        case .blackhole(let closeAfter?):
            if now >= Self.adding(startedAt, Self.nanoseconds(closeAfter)) { end(.close, dropping: 0) }
        case .reset(_, let after?):
            if let firstByteAt, now >= Self.adding(firstByteAt, Self.nanoseconds(after)) { end(.reset, dropping: 0) }
        default:
            break
        }
    }

    /// Passes bytes until `limit` passed in all (no limit: all of them), then ends the connection.
    private func passLimited(_ bytes: UnsafeRawBufferPointer, limit: Int?, ending: StageContext.Ending,
                             emit: (UnsafeRawBufferPointer) -> Void) {
        let count = limit.map { min(bytes.count, max(0, $0 - passed)) } ?? bytes.count
        if count > 0 { emit(UnsafeRawBufferPointer(rebasing: bytes[0..<count])) }
        passed += count
        if let limit, passed >= limit { end(ending, dropping: bytes.count - count) }
    }

    private func end(_ ending: StageContext.Ending, dropping count: Int) {
        ended = true
        context.countDropped(count)
        context.requestEnding(ending, direction: toxic.direction, toxic: toxic.name)
    }

    private func hold(_ bytes: UnsafeRawBufferPointer, time: UInt64) {
        held.append(bytes)
        inCount += UInt64(bytes.count)
        marks.append(end: inCount, time: time)
    }

    private func take(_ count: Int, _ emit: (UnsafeRawBufferPointer) -> Void) {
        guard count > 0 else { return }
        held.takeFront(count, emit)
        outCount += UInt64(count)
    }

    /// `latency` plus a uniform draw in `-jitter..<jitter`, in nanoseconds, never below zero.
    private func drawDelay(latency: Duration, jitter: Duration) -> UInt64 {
        let base = Int64(Self.nanoseconds(latency))
        let spread = Int64(Self.nanoseconds(jitter))
        guard spread > 0 else { return UInt64(base) }
        let unit = Double(random.next() >> 11) * 0x1p-53
        let offset = Int64((unit * 2 - 1) * Double(spread))
        return UInt64(max(0, base + offset))
    }

    /// A non-negative duration in nanoseconds (validated settings are never negative).
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        UInt64(max(0, duration.meshbedNanoseconds))
    }

    /// `a + b`, saturated.
    static func adding(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// Whole bytes a link of `rate` bytes/s sends in `elapsed` nanoseconds, saturated.
    static func bytes(in elapsed: UInt64, rate: UInt64) -> UInt64 {
        let product = elapsed.multipliedFullWidth(by: rate)
        let divisor: UInt64 = 1_000_000_000
        guard product.high < divisor else { return .max }
        return divisor.dividingFullWidth(product).quotient
    }

    /// Nanoseconds a link of `rate` bytes/s takes to send `count` bytes (rounded up), saturated.
    static func nanoseconds(for count: UInt64, rate: UInt64) -> UInt64 {
        let product = count.multipliedFullWidth(by: 1_000_000_000)
        guard product.high < rate else { return .max }
        let (quotient, remainder) = rate.dividingFullWidth(product)
        return remainder == 0 ? quotient : quotient + 1
    }
}
