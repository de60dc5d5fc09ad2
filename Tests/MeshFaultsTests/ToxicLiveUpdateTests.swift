import MeshCore
import MeshFaults
import MeshIO
import Testing

@Suite struct ToxicLiveUpdateTests {
    /// Toxic lists to switch between: adds, swaps (same name, other settings), renames,
    /// reorders and removals, on both directions (no toxic that drops bytes).
    private static let sets: [[Toxic]] = {
        let slicer = Toxic(name: "slicer", kind: .slicer(averageSize: 300, sizeVariation: 200, delay: .milliseconds(2)), direction: .upstream)
        let bandwidth = Toxic(name: "bw", kind: .bandwidth(bytesPerSecond: 400_000), direction: .upstream)
        let slow = Toxic(name: "slow", kind: .slowClose(delay: .milliseconds(5)), direction: .upstream)
        let downSlicer = Toxic(name: "dslicer", kind: .slicer(averageSize: 500, sizeVariation: 100, delay: .milliseconds(1)), direction: .downstream)
        let downBandwidth = Toxic(name: "dbw", kind: .bandwidth(bytesPerSecond: 300_000), direction: .downstream)
        return [
            [],
            [.latency(ms: 30, jitter: 25)],
            [.latency(ms: 80, jitter: 5), bandwidth],
            [bandwidth, .latency(ms: 10, jitter: 10)],
            [slicer, .latency(ms: 50, jitter: 40), .latency("down", .downstream, ms: 40, jitter: 30)],
            [.latency("other", ms: 5), downBandwidth, slow],
            [.latency("down", .downstream, ms: 90, jitter: 60), downSlicer, bandwidth],
            [downSlicer, .latency("down", .downstream, ms: 10), slicer, .latency(ms: 60, jitter: 60)],
            [.latency(ms: 1000)],
        ]
    }()

    @Test(arguments: [ToxicStream.Role.client, .server], [UInt64(1), 2, 3])
    func noByteIsLostOrReorderedWhileToxicsChange(role: ToxicStream.Role, seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let rig = try ToxicRig(role: role, Self.sets[1], seed: seed)
        let outgoing = pattern(200_000, seed: seed), incoming = pattern(200_000, seed: seed + 100)
        var written = 0, received = 0, updates = 0
        while written < outgoing.count || received < incoming.count {
            switch random.next() % 10 {
            case 0...2 where written < outgoing.count:
                let end = min(outgoing.count, written + 1 + Int(random.next() % 4000))
                rig.send(Array(outgoing[written..<end]))
                written = end
            case 3...5 where received < incoming.count && !rig.lower.paused:
                let end = min(incoming.count, received + 1 + Int(random.next() % 4000))
                rig.lower.receive(Array(incoming[received..<end]))
                received = end
            case 6...7:
                rig.advance(ms: random.next() % 15)
            case 8...9:
                try rig.stream.update(Self.sets[Int(random.next() % UInt64(Self.sets.count))])
                updates += 1
            default:
                rig.advance(ms: 1)
            }
        }
        rig.stream.shutdownWrite()
        rig.lower.receiveEOF()
        try rig.stream.update(Self.sets[Int(random.next() % UInt64(Self.sets.count))])
        for _ in 0..<200 where !(rig.lower.ended("shutdownWrite") && rig.above.eofAt != nil) { rig.advance(ms: 50) }
        #expect(updates > 50)
        #expect(rig.lower.sent.count == outgoing.count)
        let writesIntact = rig.lower.sent == outgoing
        #expect(writesIntact, "written bytes lost or reordered")
        #expect(rig.above.received.count == incoming.count)
        let readsIntact = rig.above.received == incoming
        #expect(readsIntact, "received bytes lost or reordered")
        #expect(rig.lower.ended("shutdownWrite") && rig.above.eofAt != nil)
    }

    @Test func removingALatencyReleasesItsHeldBytesAtOnceInOrder() throws {
        let rig = try ToxicRig([.latency(ms: 1000), .latency("second", ms: 1000)])
        rig.send([1, 2])
        rig.advance(ms: 1000)  // [1, 2] now in the second stage
        rig.send([3, 4])        // [3, 4] in the first
        #expect(rig.lower.sent.isEmpty)
        try rig.stream.update([])
        #expect(rig.lower.sent == [1, 2, 3, 4])
        rig.send([5])
        #expect(rig.lower.sent == [1, 2, 3, 4, 5])
        #expect(rig.clock.pendingCount == 0)
    }

    @Test func reorderingStagesKeepsTheBytesTheyHoldInOrder() throws {
        let rig = try ToxicRig([.latency("a", ms: 100), .latency("b", ms: 100)])
        rig.send([1])
        rig.advance(ms: 100)  // [1] in b
        rig.send([2])         // [2] in a
        try rig.stream.update([.latency("b", ms: 100), .latency("a", ms: 100)])
        // a moved behind b: it starts anew, and what it held goes into b behind [1]; everything
        // leaving b now goes through a.
        rig.send([3])
        rig.advance(ms: 100)
        #expect(rig.lower.sent.isEmpty)
        rig.advance(ms: 100)
        #expect(rig.lower.sent == [1, 2, 3])
    }

    @Test func swappingSettingsKeepsWhatIsHeldAndAppliesToWhatComes() throws {
        let rig = try ToxicRig([.latency(ms: 100)])
        rig.send([1])
        try rig.stream.update([.latency(ms: 10)])
        rig.send([2])
        rig.advance(ms: 10)
        // [2] must not overtake [1]: it waits for it.
        #expect(rig.lower.sent.isEmpty)
        rig.advance(ms: 90)
        #expect(rig.lower.sent == [1, 2])
    }

    @Test func addingAToxicMidStreamAppliesToWhatComesAfter() throws {
        let rig = try ToxicRig([])
        rig.send([1])
        #expect(rig.lower.sent == [1])
        try rig.stream.update([.latency(ms: 10)])
        rig.send([2])
        #expect(rig.lower.sent == [1])
        rig.advance(ms: 10)
        #expect(rig.lower.sent == [1, 2])
    }

    @Test func anInvalidListChangesNothing() throws {
        let rig = try ToxicRig([.latency(ms: 10)])
        #expect(throws: ToxicError.self) { try rig.stream.update([.latency(ms: -1)]) }
        #expect(rig.stream.toxics == [.latency(ms: 10)])
        #expect(throws: ToxicError.self) { try ToxicRig([.latency(ms: 10), .latency(ms: 20)]) }
    }
}
