import MeshFaults
import MeshIO
import Testing

@Suite struct ToxicBackpressureTests {
    @Test func heldWritesTurnTheStreamUnwritableUntilTheyLeave() throws {
        let rig = try ToxicRig([.latency(ms: 1000)])
        let chunk = [UInt8](repeating: 5, count: 64 * 1024)
        var written = 0
        while rig.stream.isWritable, written < 10_000_000 {
            rig.send(chunk)
            written += chunk.count
        }
        #expect(written >= ToxicStream.highWaterMark && written < ToxicStream.highWaterMark + chunk.count)
        #expect(rig.above.writableCount == 0)
        rig.advance(ms: 1000)
        #expect(rig.lower.sent.count == written)
        #expect(rig.stream.isWritable)
        #expect(rig.above.writableCount == 1)
    }

    @Test func aReaderThatStopsConsumingPausesTheLowerStream() throws {
        let rig = try ToxicRig([.latency("down", .downstream, ms: 10)])
        rig.above.consuming = false
        let payload = pattern(2_000_000, seed: 5)
        var offset = 0
        for _ in 0..<200 {
            while offset < payload.count, !rig.lower.paused {
                rig.lower.receive(Array(payload[offset..<min(offset + 16_384, payload.count)]))
                offset = min(offset + 16_384, payload.count)
            }
            rig.advance(ms: 10)
        }
        #expect(rig.lower.paused)
        #expect(offset - rig.lower.unconsumed <= ToxicStream.highWaterMark + 16_384)
        rig.above.consuming = true
        rig.stream.resumeReading()
        for _ in 0..<400 where rig.above.received.count < payload.count {
            while offset < payload.count, !rig.lower.paused {
                rig.lower.receive(Array(payload[offset..<min(offset + 16_384, payload.count)]))
                offset = min(offset + 16_384, payload.count)
            }
            rig.advance(ms: 10)
        }
        let intact = rig.above.received == payload
        #expect(intact, "received bytes lost or reordered")
    }

    @Test func pausingReadingPausesTheLowerStreamAndResumingDeliversWhatWasHeld() throws {
        let rig = try ToxicRig([.latency("down", .downstream, ms: 10)])
        rig.stream.pauseReading()
        #expect(rig.lower.paused)
        rig.stream.resumeReading()
        rig.lower.receive([1, 2, 3])
        rig.stream.pauseReading()
        rig.advance(ms: 10)
        #expect(rig.above.received.isEmpty)
        rig.stream.resumeReading()
        #expect(!rig.lower.paused)
        #expect(rig.above.received == [1, 2, 3])
    }
}
