import MeshCore

/// The stages of one direction of a connection, in the order of the toxic list (Toxiproxy's
/// link): bytes enter the first, each stage's output is the next one's input, the last one's
/// goes to `output` (the lower stream's outbound bytes, or the bytes offered to the handler).
///
///     push ─▶ [stage 0] ─▶ [stage 1] ─▶ … ─▶ output        (bytes, then the end of stream)
///
/// `update` swaps the stages live without dropping or reordering a byte: a stage that stays
/// keeps what it holds; a removed one lets go of its bytes (and an end of stream it held) into
/// the next stage that stays, or the output, last stage first, so older bytes stay ahead.
/// Never re-entered: `output` must not call back into the chain (it only copies).
final class ToxicChain {
    /// The direction whose bytes go through.
    let direction: Toxic.Direction
    /// The stages, first to last.
    private(set) var stages: [ToxicStage] = []
    /// Whether the end of stream came out of the last stage.
    private(set) var eofOut = false

    private let context: StageContext
    private var random: SeededRandom

    /// An empty chain for `direction`; its stages draw their seeds from `seed`.
    init(direction: Toxic.Direction, seed: UInt64, context: StageContext) {
        self.direction = direction
        self.context = context
        random = SeededRandom(seed: seed)
    }

    /// Whether no stage is installed (bytes go straight to the output).
    var isEmpty: Bool { stages.isEmpty }

    /// Bytes held by the stages.
    var heldBytes: Int {
        var total = 0
        for stage in stages { total += stage.held.count }
        return total
    }

    /// Bytes that arrived at `now`.
    func push(_ bytes: UnsafeRawBufferPointer, now: UInt64, output: (UnsafeRawBufferPointer) -> Void) {
        feed(0, bytes, now: now, output: output)
    }

    /// The end of stream arrived at `now` (behind every byte pushed before).
    func pushEOF(now: UInt64, output: (UnsafeRawBufferPointer) -> Void) {
        if stages.isEmpty {
            eofOut = true
        } else {
            stages[0].acceptEOF(now: now)
            pump(now: now, output: output)
        }
    }

    /// Lets every stage release what fell due by `now`, first to last, and moves the end of
    /// stream on where it may go.
    func pump(now: UInt64, output: (UnsafeRawBufferPointer) -> Void) {
        for index in stages.indices {
            stages[index].release(now: now) { feed(index + 1, $0, now: now, output: output) }
            if stages[index].eofIsDue(now: now) {
                stages[index].eofPassed = true
                passEOF(to: index + 1, now: now)
            }
        }
    }

    /// When a stage next has something to do, if ever.
    func nextDeadline() -> UInt64? {
        var deadline: UInt64?
        for stage in stages {
            if let next = stage.nextDeadline() { deadline = min(deadline ?? .max, next) }
        }
        return deadline
    }

    /// Runs `toxics` (this direction's, in order) from `now` on. A stage whose toxic stays (same
    /// name and kind, and its relative order kept) keeps its bytes and state and takes the new
    /// settings; the others are removed, their bytes let go in order; new toxics start empty.
    func update(to toxics: [Toxic], now: UInt64, output: (UnsafeRawBufferPointer) -> Void) {
        let old = stages
        var kept = [Bool](repeating: false, count: old.count)
        var next: [ToxicStage] = []
        next.reserveCapacity(toxics.count)
        var lastKept = -1
        for toxic in toxics {
            if let index = old.firstIndex(where: { $0.toxic.name == toxic.name }), index > lastKept,
               old[index].toxic.kind.isSameType(as: toxic.kind) {
                if old[index].toxic != toxic { old[index].reconfigure(toxic, now: now) }
                kept[index] = true
                lastKept = index
                next.append(old[index])
            } else {
                next.append(ToxicStage(toxic: toxic, now: now, seed: random.next(), context: context))
            }
        }
        stages = next
        // Last removed stage first: its bytes are older than those of the removed stages before it.
        for index in old.indices.reversed() where !kept[index] {
            let target = old[(index + 1)...].first { stage in next.contains { $0 === stage } }
            let position = target.flatMap { stage in next.firstIndex { $0 === stage } } ?? next.count
            old[index].drain { feed(position, $0, now: now, output: output) }
            if old[index].eofIn, !old[index].eofPassed {
                old[index].eofPassed = true
                passEOF(to: position, now: now)
            }
        }
        pump(now: now, output: output)
    }

    /// Lets go of every stage and what it holds (the connection ended).
    func discard() {
        stages = []
    }

    private func feed(_ index: Int, _ bytes: UnsafeRawBufferPointer, now: UInt64, output: (UnsafeRawBufferPointer) -> Void) {
        if index == stages.count {
            output(bytes)
        } else {
            stages[index].accept(bytes, now: now) { feed(index + 1, $0, now: now, output: output) }
        }
    }

    private func passEOF(to index: Int, now: UInt64) {
        if index == stages.count { eofOut = true } else { stages[index].acceptEOF(now: now) }
    }
}
