import MeshFaults
import MeshIO
import Testing

@Suite struct ToxicityTests {
    /// Over `connections` seeded connections, how many a 1 s latency with `toxicity` acted on.
    private func acted(toxicity: Double, connections: Int = 1000) throws -> [Bool] {
        try (0..<UInt64(connections)).map { seed in
            let rig = try ToxicRig([.latency(ms: 1000, toxicity: toxicity)], seed: seed)
            rig.send([1])
            return rig.lower.sent.isEmpty
        }
    }

    @Test func zeroNeverActsOneAlwaysHalfAboutHalf() throws {
        #expect(try acted(toxicity: 0).filter { $0 }.count == 0)
        #expect(try acted(toxicity: 1).filter { $0 }.count == 1000)
        let half = try acted(toxicity: 0.5)
        #expect((450...550).contains(half.filter { $0 }.count))
        #expect(try acted(toxicity: 0.5) == half, "the same seeds must act on the same connections")
    }

    @Test func theDrawIsMadeOncePerNameAndKeptAcrossUpdates() throws {
        for seed in UInt64(0)..<100 {
            let toxic = Toxic.latency(ms: 1000, toxicity: 0.5)
            let rig = try ToxicRig([toxic], seed: seed)
            rig.send([1])
            let acted = rig.lower.sent.isEmpty
            rig.advance(ms: 1000)
            for _ in 0..<5 {
                try rig.stream.update([.latency("other", .downstream, ms: 5, toxicity: 0.5), toxic])
                try rig.stream.update([toxic])
            }
            let before = rig.lower.sent.count
            rig.send([2])
            #expect((rig.lower.sent.count == before) == acted, "seed \(seed): the toxic changed its mind")
        }
    }

    @Test func aToxicThatDoesNotActPassesBytesStraightThrough() throws {
        let rig = try ToxicRig([.latency(ms: 1000, toxicity: 0)])
        rig.send([1, 2])
        #expect(rig.lower.sent == [1, 2])
        #expect(rig.stream.counters == ToxicCounters())
        #expect(rig.clock.pendingCount == 0)
    }
}
