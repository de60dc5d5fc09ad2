import MeshFaults
import MeshIO
import Testing

@Suite struct ToxicLatencyTests {
    @Test func eachChunkIsHeldItsLatencyPlusOrMinusTheJitterInOrder() throws {
        let rig = try ToxicRig([.latency(ms: 100, jitter: 20)])
        var written: [UInt8] = []
        var starts: [(offset: Int, time: UInt64)] = []
        for index in 0..<300 {
            let chunk = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 10 + index % 7)
            starts.append((written.count, rig.clock.now))
            written += chunk
            rig.send(chunk)
            #expect(rig.lower.sent.count < written.count, "chunk \(index) left without its latency")
            rig.advance(ms: 3)
        }
        rig.advance(ms: 200)
        let intact = rig.lower.sent == written
        #expect(intact, "written bytes lost or reordered")
        let departures = rig.sendTimes(ofBytesAt: starts.map(\.offset))
        for (start, departure) in zip(starts, departures) {
            guard let departure else {
                Issue.record("a chunk never left")
                continue
            }
            // A chunk never leaves before the one ahead of it, whose own bound is earlier.
            #expect((start.time + ms(80))...(start.time + ms(120)) ~= departure)
        }
        #expect(rig.stream.counters.bytesDelayed == UInt64(written.count))
    }

    @Test func withoutJitterTheDelayIsExact() throws {
        let rig = try ToxicRig([.latency(ms: 40)])
        rig.send([1, 2, 3])
        let start = rig.clock.now
        rig.advance(ms: 39)
        #expect(rig.lower.sent.isEmpty)
        rig.advance(ms: 1)
        #expect(rig.lower.sent == [1, 2, 3])
        #expect(rig.lower.sends.first?.time == start + ms(40))
        #expect(rig.clock.pendingCount == 0)
    }

    /// The delays of `count` one-byte chunks, far enough apart that none waits for another.
    private func delays(seed: UInt64, count: Int = 4000) throws -> [Double] {
        let rig = try ToxicRig([.latency(ms: 100, jitter: 20)], seed: seed)
        var delays: [Double] = []
        for _ in 0..<count {
            let start = rig.clock.now
            rig.send([7])
            rig.advance(ms: 150)
            guard let departure = rig.lower.sends.last?.time, rig.lower.sends.count == delays.count + 1 else { break }
            delays.append(Double(departure - start) / 1e6)
        }
        return delays
    }

    @Test func jitterIsUniformAroundTheLatencyAndReplaysForASeed() throws {
        let sample = try delays(seed: 7)
        #expect(sample.count == 4000)
        let mean = sample.reduce(0, +) / Double(sample.count)
        let variance = sample.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(sample.count - 1)
        let stddev = variance.squareRoot()
        // Uniform over 100 ± 20 ms: mean 100 ms, standard deviation 20/√3 = 11.55 ms.
        #expect(abs(mean - 100) < 1, "mean \(mean) ms")
        #expect(abs(stddev - 20 / 3.0.squareRoot()) < 0.6, "stddev \(stddev) ms")
        #expect(sample.min()! >= 80 && sample.max()! < 120)
        #expect(try delays(seed: 7, count: 200) == Array(sample.prefix(200)))
        #expect(try delays(seed: 8, count: 200) != Array(sample.prefix(200)))
    }

    @Test func jitterAboveTheLatencyNeverGoesBelowZero() throws {
        let rig = try ToxicRig([.latency(ms: 5, jitter: 50)], seed: 3)
        for _ in 0..<200 {
            let start = rig.clock.now
            rig.send([1])
            rig.clock.runDue()
            rig.advance(ms: 100)
            guard let departure = rig.lower.sends.last?.time else { continue }
            #expect(departure >= start && departure < start + ms(55))
        }
        #expect(rig.lower.sent.count == 200)
        // About half the draws (those below -5 ms) are zero: the byte leaves at once.
        let immediate = rig.lower.sends.enumerated().filter { $0.element.time == UInt64($0.offset) * ms(100) + 1_000_000_000 }.count
        #expect((60...140).contains(immediate), "\(immediate) immediate")
    }
}
