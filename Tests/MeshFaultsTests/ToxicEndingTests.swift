import MeshFaults
import MeshIO
import Testing

@Suite struct ToxicEndingTests {
    @Test func resetAfterBytesPassesThemThenResets() throws {
        let rig = try ToxicRig([Toxic(name: "rst", kind: .reset(afterBytes: 1000, after: nil), direction: .upstream)])
        let payload = pattern(1200, seed: 1)
        rig.send(Array(payload[0..<600]))
        #expect(!rig.lower.isClosed)
        rig.send(Array(payload[600...]))
        #expect(rig.lower.sent == Array(payload[0..<1000]))
        #expect(rig.lower.ended("reset"))
        #expect(rig.above.closeError?.isConnectionReset == true)
        #expect(rig.stream.isClosed)
        #expect(rig.stream.counters.connectionsReset == 1)
        #expect(rig.stream.counters.bytesDropped == 200)
    }

    /// Streams given the same totals add what their toxics did to them.
    @Test func sharedTotalsAddUpOverStreams() throws {
        let totals = ToxicTotals()
        for _ in 0..<2 {
            let rig = try ToxicRig([Toxic(name: "rst", kind: .reset(afterBytes: 1000, after: nil), direction: .upstream)], totals: totals)
            rig.send(pattern(1200, seed: 2))
            #expect(rig.stream.counters.bytesDropped == 200)
        }
        let held = try ToxicRig([Toxic(name: "slow", kind: .latency(latency: .milliseconds(5), jitter: .zero), direction: .upstream)], totals: totals)
        held.send(pattern(300, seed: 3))
        held.advance(ms: 5)
        #expect(totals.connectionsReset.load(ordering: .relaxed) == 2)
        #expect(totals.bytesDropped.load(ordering: .relaxed) == 400)
        #expect(totals.bytesDelayed.load(ordering: .relaxed) == 300)
        #expect(totals.connectionsClosed.load(ordering: .relaxed) == 0)
    }

    @Test func resetWithNeitherBytesNorTimeResetsAtTheFirstByteOnReads() throws {
        let rig = try ToxicRig([Toxic(name: "rst", kind: .reset(afterBytes: nil, after: nil), direction: .downstream)])
        rig.send([1, 2, 3])  // the other direction is untouched
        #expect(rig.lower.sent == [1, 2, 3])
        rig.lower.receive([9, 9])
        #expect(rig.above.received.isEmpty)
        #expect(rig.lower.ended("reset"))
        #expect(rig.above.closeError?.isConnectionReset == true)
    }

    @Test func resetAfterATimeCountsFromTheFirstByte() throws {
        let rig = try ToxicRig([Toxic(name: "rst", kind: .reset(afterBytes: nil, after: .milliseconds(50)), direction: .upstream)])
        rig.advance(ms: 500)
        #expect(!rig.lower.isClosed)
        rig.send([1])
        let first = rig.clock.now
        rig.advance(ms: 49)
        rig.send([2])
        #expect(!rig.lower.isClosed)
        rig.advance(ms: 1)
        #expect(rig.lower.time(of: "reset") == first + ms(50))
        #expect(rig.lower.sent == [1, 2])
    }

    @Test func blackholeSwallowsAndClosesAfterItsTime() throws {
        let rig = try ToxicRig([Toxic(name: "hole", kind: .blackhole(closeAfter: .seconds(1)), direction: .downstream)])
        let start = rig.clock.now
        rig.lower.receive(pattern(5000, seed: 2))
        rig.send([1, 2])
        #expect(rig.above.received.isEmpty)
        #expect(rig.lower.unconsumed == 0)
        #expect(rig.lower.sent == [1, 2])
        rig.advance(ms: 999)
        #expect(!rig.stream.isClosed)
        rig.advance(ms: 1)
        #expect(rig.lower.time(of: "closeGracefully") == start + ms(1000))
        #expect(rig.above.closedAt == start + ms(1000) && rig.above.closeError == nil)
        #expect(rig.stream.counters.bytesDropped == 5000)
        #expect(rig.stream.counters.connectionsClosed == 1)
    }

    @Test func blackholeWithoutATimeNeverCloses() throws {
        let rig = try ToxicRig([Toxic(name: "hole", kind: .blackhole(closeAfter: nil), direction: .upstream)])
        rig.send(pattern(3000, seed: 3))
        rig.advance(ms: 3_600_000)
        #expect(rig.lower.sent.isEmpty)
        #expect(!rig.stream.isClosed)
        #expect(rig.clock.pendingCount == 0)
    }

    @Test func slowCloseDelaysTheHalfCloseNotTheBytes() throws {
        let rig = try ToxicRig([Toxic(name: "slow", kind: .slowClose(delay: .milliseconds(500)), direction: .upstream)])
        rig.send([1, 2, 3])
        #expect(rig.lower.sent == [1, 2, 3])
        let start = rig.clock.now
        rig.stream.shutdownWrite()
        rig.advance(ms: 499)
        #expect(!rig.lower.ended("shutdownWrite"))
        rig.advance(ms: 1)
        #expect(rig.lower.time(of: "shutdownWrite") == start + ms(500))
    }

    @Test func slowCloseDelaysTheEndOfStreamOnReads() throws {
        let rig = try ToxicRig(role: .server, [Toxic(name: "slow", kind: .slowClose(delay: .milliseconds(300)), direction: .upstream)])
        rig.lower.receive([4, 5])
        rig.lower.receiveEOF()
        let start = rig.clock.now
        #expect(rig.above.received == [4, 5])
        #expect(rig.above.eofAt == nil && !rig.stream.peerClosedWrite)
        rig.advance(ms: 300)
        #expect(rig.above.eofAt == start + ms(300))
        #expect(rig.stream.peerClosedWrite)
    }

    @Test func theEndOfStreamFollowsHeldBytesAndACloseWaitsForIt() throws {
        let rig = try ToxicRig([.latency(ms: 20)])
        rig.send([1, 2])
        rig.stream.closeGracefully()
        #expect(!rig.lower.ended("closeGracefully"))
        rig.advance(ms: 20)
        #expect(rig.lower.sent == [1, 2])
        #expect(rig.lower.time(of: "closeGracefully") == rig.clock.now)
    }

    @Test func limitDataLetsTheLimitThroughThenCloses() throws {
        let rig = try ToxicRig([Toxic(name: "limit", kind: .limitData(bytes: 1000), direction: .downstream)])
        let payload = pattern(1400, seed: 4)
        rig.lower.receive(Array(payload[0..<700]))
        #expect(!rig.stream.isClosed)
        rig.lower.receive(Array(payload[700...]))
        #expect(rig.above.received == Array(payload[0..<1000]))
        #expect(rig.lower.ended("closeGracefully"))
        #expect(rig.above.closedAt != nil && rig.above.closeError == nil)
        #expect(rig.stream.counters.connectionsClosed == 1)
        #expect(rig.stream.counters.bytesDropped == 400)
    }

    @Test func limitDataOnReadsWaitsForAPausedReaderBeforeClosing() throws {
        let rig = try ToxicRig([Toxic(name: "limit", kind: .limitData(bytes: 10), direction: .downstream)])
        rig.above.consuming = false
        rig.lower.receive(Array(repeating: 1, count: 15))
        #expect(!rig.stream.isClosed)
        rig.above.consuming = true
        rig.stream.resumeReading()
        #expect(rig.above.received == Array(repeating: 1, count: 10))
        #expect(rig.stream.isClosed)
    }
}
