import MeshFaults
import MeshIO
import Testing

@Suite struct ToxicPassThroughTests {
    @Test func withoutToxicsBytesPassAtOnceWithNoTimer() throws {
        let rig = try ToxicRig([])
        rig.send([1, 2, 3])
        #expect(rig.lower.sent == [1, 2, 3])
        #expect(rig.lower.sends.first?.time == rig.clock.now)
        rig.lower.receive([4, 5])
        #expect(rig.above.received == [4, 5])
        #expect(rig.clock.pendingCount == 0)
        rig.stream.shutdownWrite()
        #expect(rig.lower.ended("shutdownWrite"))
        rig.lower.receiveEOF()
        #expect(rig.above.eofAt != nil)
    }

    @Test func readsWithoutToxicsLeaveUnconsumedBytesWithTheLowerStream() throws {
        // Toxics on the other direction only: reads still go straight through, in place.
        let rig = try ToxicRig([.latency(ms: 100)])
        rig.above.consuming = false
        rig.lower.receive([1, 2, 3])
        #expect(rig.lower.unconsumed == 3)
        rig.above.consuming = true
        rig.stream.resumeReading()
        #expect(rig.above.received == [1, 2, 3])
        #expect(rig.lower.unconsumed == 0)
    }

    @Test func closeAndResetReachTheLowerStream() throws {
        let closing = try ToxicRig([.latency(ms: 100)])
        closing.send([1])
        closing.stream.close()
        #expect(closing.lower.ended("close") && closing.above.closedAt != nil)
        #expect(closing.clock.pendingCount == 0)
        closing.advance(ms: 200)
        #expect(closing.lower.sent.isEmpty)
        let resetting = try ToxicRig([])
        resetting.stream.reset()
        #expect(resetting.lower.ended("reset") && resetting.above.closeError == nil && resetting.stream.isClosed)
    }

    @Test func theLowerStreamClosingClosesTheStream() throws {
        let rig = try ToxicRig([.latency(ms: 100)])
        rig.send([1])
        rig.lower.close()
        #expect(rig.stream.isClosed && rig.above.closedAt != nil)
        #expect(rig.clock.pendingCount == 0)
    }
}
