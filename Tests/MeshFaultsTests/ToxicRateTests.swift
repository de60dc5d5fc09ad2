import MeshFaults
import MeshIO
import Testing

@Suite struct ToxicRateTests {
    private static let rate = 100_000

    @Test func bandwidthHoldsTheRateWithinFivePercentOnWrites() throws {
        let rig = try ToxicRig([Toxic(name: "bw", kind: .bandwidth(bytesPerSecond: Self.rate), direction: .upstream)])
        let payload = pattern(1_000_000, seed: 1)
        let start = rig.clock.now
        rig.send(payload)
        var sentAt2500: Int?
        for step in 1...2000 where rig.lower.sent.count < payload.count {
            rig.advance(ms: 10)
            if step == 250 { sentAt2500 = rig.lower.sent.count }
        }
        let intact = rig.lower.sent == payload
        #expect(intact, "written bytes lost or reordered")
        let seconds = Double((rig.lower.sends.last?.time ?? start) - start) / 1e9
        #expect(abs(seconds - 10) < 0.5, "\(seconds) s for 1 MB at 100 KB/s")
        #expect(abs(Double(sentAt2500 ?? 0) - 250_000) < 12_500, "\(sentAt2500 ?? 0) bytes after 2.5 s")
    }

    @Test func bandwidthHoldsTheRateOnReadsWithTheLowerStreamPaused() throws {
        // A server's reads come upstream.
        let rig = try ToxicRig(role: .server, [Toxic(name: "bw", kind: .bandwidth(bytesPerSecond: Self.rate), direction: .upstream)])
        let payload = pattern(1_000_000, seed: 2)
        let start = rig.clock.now
        var offset = 0
        var mostHeld = 0
        for _ in 0..<2000 where rig.above.received.count < payload.count {
            while offset < payload.count, !rig.lower.paused {
                let end = min(offset + 16_384, payload.count)
                rig.lower.receive(Array(payload[offset..<end]))
                offset = end
            }
            mostHeld = max(mostHeld, offset - rig.lower.unconsumed - rig.above.received.count)
            rig.advance(ms: 10)
        }
        let intact = rig.above.received == payload
        #expect(intact, "received bytes lost or reordered")
        let seconds = Double((rig.above.deliveries.last?.time ?? start) - start) / 1e9
        #expect(abs(seconds - 10) < 0.5, "\(seconds) s for 1 MB at 100 KB/s")
        #expect(mostHeld <= ToxicStream.highWaterMark + 16_384, "held \(mostHeld) bytes")
    }

    @Test func slicerCutsPiecesOfTheAverageSizePlusOrMinusTheVariationApart() throws {
        let rig = try ToxicRig([Toxic(name: "slicer", kind: .slicer(averageSize: 100, sizeVariation: 30, delay: .milliseconds(1)),
                                      direction: .upstream)])
        let first = pattern(10_000, seed: 3), second = pattern(555, seed: 4)
        rig.send(first)
        rig.send(second)
        for _ in 0..<500 { rig.advance(ms: 1) }
        let intact = rig.lower.sent == first + second
        #expect(intact, "written bytes lost or reordered")
        var offset = 0
        var sizes: [Int] = []
        for send in rig.lower.sends {
            sizes.append(send.count)
            offset += send.count
            // A chunk's last piece is what remains of it; every other piece is within bounds.
            if offset != first.count, offset != first.count + second.count {
                #expect((70...130).contains(send.count), "piece of \(send.count) bytes")
            } else {
                #expect(send.count <= 130)
            }
        }
        #expect(sizes.count >= 10_555 / 130 && sizes.count <= 10_555 / 70 + 2)
        let gaps = zip(rig.lower.sends.dropFirst(), rig.lower.sends).map { $0.time - $1.time }
        #expect(gaps.allSatisfy { $0 == ms(1) })
        let mean = Double(sizes.dropLast().reduce(0, +)) / Double(sizes.count - 1)
        #expect(abs(mean - 100) < 5, "mean piece \(mean) bytes")
    }
}
