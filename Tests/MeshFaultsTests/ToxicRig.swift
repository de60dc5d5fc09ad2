import MeshCore
import MeshFaults
import MeshIO

/// A `ToxicStream` between a `ScriptedLower` and a `Recorder`, on a manual clock.
final class ToxicRig {
    let clock = ManualTimerScheduler()
    let lower: ScriptedLower
    let above: Recorder
    let stream: ToxicStream

    init(role: ToxicStream.Role = .client, _ toxics: [Toxic], seed: UInt64 = 1, totals: ToxicTotals? = nil) throws {
        lower = ScriptedLower(clock: clock)
        above = Recorder(clock: clock)
        stream = try ToxicStream(lower: lower, role: role, toxics: toxics, seed: seed, scheduler: clock, totals: totals)
        stream.handler = above
    }

    /// Writes and flushes `bytes`.
    func send(_ bytes: [UInt8]) {
        stream.write(bytes)
        stream.flush()
    }

    /// Advances the clock by `milliseconds`.
    func advance(ms milliseconds: UInt64) {
        clock.advance(by: milliseconds * 1_000_000)
    }

    /// When the byte at each of `offsets` was flushed to the lower stream.
    func sendTimes(ofBytesAt offsets: [Int]) -> [UInt64?] {
        var ends: [(end: Int, time: UInt64)] = []
        var total = 0
        for send in lower.sends {
            total += send.count
            ends.append((total, send.time))
        }
        return offsets.map { offset in ends.first { $0.end > offset }?.time }
    }
}

/// Milliseconds in nanoseconds.
func ms(_ value: UInt64) -> UInt64 { value * 1_000_000 }

/// `count` bytes of a seeded random pattern.
func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
    var random = SeededRandom(seed: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
}

extension Toxic {
    static func latency(_ name: String = "latency", _ direction: Direction = .upstream, ms latency: Int64, jitter: Int64 = 0,
                        toxicity: Double = 1) -> Toxic {
        Toxic(name: name, kind: .latency(latency: .milliseconds(latency), jitter: .milliseconds(jitter)),
              direction: direction, toxicity: toxicity)
    }
}
