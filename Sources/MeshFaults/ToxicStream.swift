import MeshCore
import MeshIO

/// L4 toxics on a connection, as a byte stream: the layer above (HTTP, TLS) writes and reads
/// through it as through the stream below, and the bytes of each direction go through that
/// direction's toxic stages on the way (as Toxiproxy's link between client and upstream).
///
///     layer above (HTTP / TLS)
///        │ write, flush, shutdownWrite      ▲ received, EOF, writable, closed
///     ToxicStream ── write chain: [stage]─▶[stage]─▶ lower.write
///                 ── read chain:  lower's bytes ─▶[stage]─▶[stage]─▶ handler
///        │                                  ▲
///     lower ByteStream (a TCPConnection)
///
/// `role` says which direction is which: a `.client` stream's writes go upstream (towards the
/// connection's server) and its reads come downstream; a `.server` stream the reverse.
///
/// - **Time and chance** come from the injected `TimerScheduler` (the loop, or a
///   `ManualTimerScheduler` in tests) and `seed`: whether each toxic acts on this connection
///   (`toxicity`), the jitter and slice draws are the same for the same seed and toxics.
/// - **No toxics in a direction**: its bytes pass straight through, with no copy and no timer.
/// - **Live changes**: `update` swaps the toxic list without dropping or reordering a byte in
///   flight (see `ToxicChain`); a blackhole drops what it swallows by design.
/// - **Backpressure**: written bytes held by stages count against `isWritable` (the handler
///   hears `connectionWritable` once they fell below `lowWaterMark`); received bytes held by
///   stages, or released and not yet consumed, pause the lower stream at `highWaterMark`.
///   Pausing reading pauses the lower stream.
/// - **Ends**: a half-close (`shutdownWrite`, `closeGracefully`) travels behind the bytes
///   written before it, as the lower stream's end of stream does to the handler. A toxic that
///   ends the connection closes the lower stream gracefully (`limit_data`, a blackhole's time)
///   or resets it (`reset`, an abortive close), after the bytes it let through; the handler
///   hears `connectionClosed`, with `IOError.connectionReset` for a reset.
///
/// Written bytes wait in one buffer until `flush` (or the end of a lower stream's event) sends
/// them into the write chain; the stages hold bytes in reused buffers. Used on its loop's
/// thread only, as the lower stream.
public final class ToxicStream: ByteStream, ByteStreamHandler {
    /// Which end of the connection the stream is on.
    public enum Role: Sendable, Equatable {
        /// Its writes go upstream (towards the server), its reads come downstream.
        case client
        /// Its writes go downstream (towards the client), its reads come upstream.
        case server
    }

    /// Bytes held (written and not yet given to the lower stream, or received and not yet
    /// consumed) at which writing stops being writable / the lower stream stops reading.
    public static let highWaterMark = 256 * 1024
    /// Held bytes below which writing is writable / reading resumes again.
    public static let lowWaterMark = 64 * 1024

    /// The loop the stream (and its lower stream) lives on.
    public let loop: EventLoop
    /// Who hears the stream's events.
    public var handler: ByteStreamHandler?
    /// The stream the bytes travel on.
    public let lower: any ByteStream
    /// Which end of the connection this is.
    public let role: Role
    /// The toxics in force (every one of the list, acting on this connection or not).
    public private(set) var toxics: [Toxic] = []

    private let scheduler: any TimerScheduler
    private let context: StageContext
    private let writeChain: ToxicChain
    private let readChain: ToxicChain
    /// Draws whether each toxic acts on this connection, by name, first come first drawn.
    private var toxicityRandom: SeededRandom
    private var toxicityDraws: [String: Double] = [:]
    /// Written bytes not yet pushed into the write chain (only while it has stages).
    private var staging: [UInt8] = []
    /// Bytes out of the read chain not yet consumed by the handler.
    private var ready = ByteQueue()
    private var closed = false
    private var readingPaused = false
    private var lowerPausedForLevel = false
    private var writeBlocked = false
    private var shutdownRequested = false
    private var closeRequested = false
    private var writeEOFSent = false
    private var readEOFDelivered = false
    private var delivering = false
    private var redeliver = false
    private var timer: TimerID?
    private var armedDeadline = UInt64.max
    /// The timer's callback, made once (not one closure per timer).
    private lazy var timerCallback: () -> Void = { [weak self] in self?.timerFired() }

    /// A stream over `lower` (which it becomes the handler of), on `lower`'s loop thread, with
    /// `toxics` from the start. Chance is drawn from `seed`; time and timers come from
    /// `scheduler` (the lower stream's loop when nil). What the toxics do is also added to
    /// `totals`, when given. Throws the first invalid toxic's reason.
    public init(lower: any ByteStream, role: Role, toxics: [Toxic], seed: UInt64,
                scheduler: (any TimerScheduler)? = nil, totals: ToxicTotals? = nil) throws(ToxicError) {
        try Toxic.validate(toxics)
        context = StageContext(totals: totals)
        loop = lower.loop
        self.lower = lower
        self.role = role
        self.scheduler = scheduler ?? lower.loop
        var seeds = SeededRandom(seed: seed)
        toxicityRandom = SeededRandom(seed: seeds.next())
        let upstream = ToxicChain(direction: .upstream, seed: seeds.next(), context: context)
        let downstream = ToxicChain(direction: .downstream, seed: seeds.next(), context: context)
        writeChain = role == .client ? upstream : downstream
        readChain = role == .client ? downstream : upstream
        lower.handler = self
        try update(toxics)
    }

    /// What the toxics did on this stream so far.
    public var counters: ToxicCounters { context.counters }

    /// Runs `toxics` from now on, in their order, instead of the current ones. A toxic keeps
    /// its state and held bytes when it stays under the same name and kind; bytes held by one
    /// removed (or moved before another that stays) are let go in order, behind nothing that
    /// came later. Whether a toxic acts on this connection is drawn once per name. Throws
    /// (and changes nothing) when a toxic is invalid or a name is listed twice.
    public func update(_ toxics: [Toxic]) throws(ToxicError) {
        try Toxic.validate(toxics)
        self.toxics = toxics
        guard !closed else { return }
        let now = scheduler.now
        var upstream: [Toxic] = [], downstream: [Toxic] = []
        for toxic in toxics where acts(toxic) {
            if toxic.direction == .upstream { upstream.append(toxic) } else { downstream.append(toxic) }
        }
        let writes = writeChain.direction == .upstream ? upstream : downstream
        let reads = writeChain.direction == .upstream ? downstream : upstream
        writeChain.update(to: writes, now: now) { lower.write($0) }
        readChain.update(to: reads, now: now) { ready.append($0) }
        lower.flush()  // what removed stages let go
        settle()
    }

    // MARK: ByteStream (the side above)

    public var isClosed: Bool { closed }
    public var isWritable: Bool { !closed && lower.isWritable && writeLevel < Self.highWaterMark }
    public var peerClosedWrite: Bool { readEOFDelivered }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard !closed, !shutdownRequested else { return }
        if writeChain.isEmpty, staging.isEmpty {
            lower.write(bytes)
        } else {
            staging.appendBytes(bytes)
            noteWriteLevel()
        }
    }

    public func appendOutbound(_ body: (inout [UInt8]) -> Void) {
        guard !closed, !shutdownRequested else { return }
        if writeChain.isEmpty, staging.isEmpty {
            lower.appendOutbound(body)
        } else {
            body(&staging)
            noteWriteLevel()
        }
    }

    public func flush() {
        guard !closed else { return }
        if writeChain.isEmpty, staging.isEmpty { lower.flush() } else { settle() }
    }

    public func pauseReading() {
        guard !readingPaused else { return }
        readingPaused = true
        lower.pauseReading()
    }

    public func resumeReading() {
        guard !closed else { return }
        readingPaused = false
        deliverReady()
        guard !closed else { return }
        if !lowerPausedForLevel { lower.resumeReading() }
        settle()
    }

    public func shutdownWrite() {
        guard !closed, !shutdownRequested else { return }
        shutdownRequested = true
        pushStaging()
        writeChain.pushEOF(now: scheduler.now) { lower.write($0) }
        settle()
    }

    public func closeGracefully() {
        guard !closed, !closeRequested else { return }
        closeRequested = true
        if writeEOFSent {
            lower.closeGracefully()
        } else if !shutdownRequested {
            shutdownWrite()
        }
    }

    public func close() {
        end(error: nil) { $0.close() }
    }

    public func reset() {
        end(error: nil) { $0.reset() }
    }

    // MARK: ByteStreamHandler (the lower stream's events)

    public func connectionActive(_ connection: any ByteStream) {
        guard !closed else { return }
        handler?.connectionActive(self)
        settle()
    }

    public func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        guard !closed else { return bytes.count }
        if readChain.isEmpty, ready.isEmpty, !delivering {
            // Straight through: the handler reads the lower stream's bytes in place.
            guard !readingPaused else { return 0 }
            let consumed = handler?.connection(self, received: bytes) ?? bytes.count
            settle()
            return consumed
        }
        readChain.push(bytes, now: scheduler.now) { ready.append($0) }
        settle()
        return bytes.count
    }

    public func connectionReadEOF(_ connection: any ByteStream) {
        guard !closed else { return }
        readChain.pushEOF(now: scheduler.now) { ready.append($0) }
        settle()
    }

    public func connectionWritable(_ connection: any ByteStream) {
        guard !closed, writeLevel < Self.highWaterMark else { return }
        writeBlocked = false
        handler?.connectionWritable(self)
        settle()
    }

    public func connectionClosed(_ connection: any ByteStream, error: IOError?) {
        guard !closed else { return }
        finish(error: error)
    }

    // MARK: moving bytes

    /// Written bytes held: staged, and in the write chain's stages.
    private var writeLevel: Int { writeChain.isEmpty ? staging.count : staging.count + writeChain.heldBytes }
    /// Received bytes held: in the read chain's stages, and released but not consumed.
    private var readLevel: Int { readChain.heldBytes + ready.count }

    /// Whether `toxic` acts on this connection (its draw, made once per name, below its toxicity).
    private func acts(_ toxic: Toxic) -> Bool {
        let draw: Double
        if let known = toxicityDraws[toxic.name] {
            draw = known
        } else {
            draw = Double(toxicityRandom.next() >> 11) * 0x1p-53
            toxicityDraws[toxic.name] = draw
        }
        return draw < toxic.toxicity
    }

    private func noteWriteLevel() {
        if writeLevel >= Self.highWaterMark { writeBlocked = true }
    }

    /// Pushes the staged written bytes into the write chain (its output: the lower stream's);
    /// returns whether there were any.
    @discardableResult
    private func pushStaging() -> Bool {
        guard !staging.isEmpty else { return false }
        var bytes: [UInt8] = []
        swap(&bytes, &staging)
        bytes.withUnsafeBytes { buffer in writeChain.push(buffer, now: scheduler.now) { lower.write($0) } }
        bytes.removeAll(keepingCapacity: true)
        if staging.isEmpty, bytes.capacity <= ByteQueue.retainedCapacity { swap(&bytes, &staging) }
        return true
    }

    /// After bytes moved: sends what the write chain let go (and its end of stream), offers the
    /// handler what the read chain let go, carries out a toxic's end of the connection, adjusts
    /// the backpressure and the timer. Called outside the chains only (the handler may do
    /// anything from here, including call back in).
    private func settle() {
        guard !closed else { return }
        if pushStaging() || !writeChain.isEmpty { lower.flush() }
        guard !closed else { return }
        if writeChain.eofOut, !writeEOFSent {
            writeEOFSent = true
            if closeRequested { lower.closeGracefully() } else { lower.shutdownWrite() }
            guard !closed else { return }
        }
        deliverReady()
        guard !closed else { return }
        if let request = context.request, endConnection(request) { return }
        if !lowerPausedForLevel, readLevel >= Self.highWaterMark {
            lowerPausedForLevel = true
            lower.pauseReading()
        } else if lowerPausedForLevel, readLevel < Self.lowWaterMark {
            lowerPausedForLevel = false
            if !readingPaused { lower.resumeReading() }
        }
        guard !closed else { return }
        if writeBlocked, writeLevel < Self.lowWaterMark, lower.isWritable {
            writeBlocked = false
            handler?.connectionWritable(self)
            guard !closed else { return }
        }
        rearm()
    }

    /// Offers the released received bytes to the handler until it stops consuming, then the end
    /// of stream once everything before it was consumed. The offered bytes are out of `ready`
    /// while the handler runs (what it causes to be released meanwhile queues behind them).
    private func deliverReady() {
        guard !delivering else {
            redeliver = true
            return
        }
        delivering = true
        defer { delivering = false }
        repeat {
            redeliver = false
            while !ready.isEmpty, !readingPaused, !closed, let handler {
                var offered = ByteQueue()
                swap(&offered, &ready)
                let consumed = offered.withContents { handler.connection(self, received: $0) }
                if closed { return }
                offered.removeFront(min(max(consumed, 0), offered.count))
                if !ready.isEmpty { ready.takeFront(ready.count) { offered.append($0) } }
                swap(&offered, &ready)
                if consumed <= 0 { break }
            }
            if readChain.eofOut, ready.isEmpty, !readEOFDelivered, !readingPaused, !closed {
                readEOFDelivered = true
                handler?.connectionReadEOF(self)
            }
        } while redeliver && !closed && !readingPaused
    }

    // MARK: timer

    private func rearm() {
        let deadline = min(writeChain.nextDeadline() ?? .max, readChain.nextDeadline() ?? .max)
        guard deadline != armedDeadline else { return }
        if let timer { scheduler.cancel(timer) }
        timer = nil
        armedDeadline = deadline
        guard deadline != .max else { return }
        timer = scheduler.schedule(at: deadline, timerCallback)
    }

    private func timerFired() {
        timer = nil
        armedDeadline = .max
        guard !closed else { return }
        let now = scheduler.now
        writeChain.pump(now: now) { lower.write($0) }
        readChain.pump(now: now) { ready.append($0) }
        settle()
    }

    // MARK: ending

    /// Carries out a toxic's end of the connection, once the bytes it let through are out: a
    /// graceful close waits until the handler consumed what the read chain let go. Returns
    /// whether the stream is now closed.
    private func endConnection(_ request: StageContext.Request) -> Bool {
        if request.ending == .close, request.direction == readChain.direction, !ready.isEmpty, handler != nil { return false }
        // What the toxic let through goes out first (a reset may still destroy it, as a real one).
        lower.flush()
        guard !closed else { return true }
        if request.ending == .reset {
            context.countEnding(.reset)
            end(error: .connectionReset("toxic \(request.toxic) reset the connection")) { $0.reset() }
        } else {
            context.countEnding(.close)
            end(error: nil) { $0.closeGracefully() }
        }
        return true
    }

    /// Closes: lets go of the lower stream with `closing` (which the stream no longer hears
    /// of) and tells the handler.
    private func end(error: IOError?, closing: (any ByteStream) -> Void) {
        guard !closed else { return }
        lower.handler = nil
        closing(lower)
        finish(error: error)
    }

    /// Marks the stream closed, drops what it holds, and tells the handler once.
    private func finish(error: IOError?) {
        guard !closed else { return }
        closed = true
        if let timer { scheduler.cancel(timer) }
        timer = nil
        armedDeadline = .max
        staging = []
        writeChain.discard()
        readChain.discard()
        if !delivering { ready.removeAll() }
        let handler = self.handler
        self.handler = nil
        handler?.connectionClosed(self, error: error)
    }
}
