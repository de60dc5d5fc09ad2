import MeshFaults
import Testing

@Suite struct ToxicValidationTests {
    private func error(_ kind: Toxic.Kind, toxicity: Double = 1) -> String? {
        do {
            try Toxic(name: "t", kind: kind, direction: .upstream, toxicity: toxicity).validate()
            return nil
        } catch {
            return error.message
        }
    }

    @Test func goodSettingsPass() {
        #expect(error(.latency(latency: .milliseconds(100), jitter: .milliseconds(10))) == nil)
        // Jitter above the latency is allowed (as Toxiproxy): the draws below zero are zero.
        #expect(error(.latency(latency: .milliseconds(5), jitter: .milliseconds(50))) == nil)
        #expect(error(.bandwidth(bytesPerSecond: 1)) == nil)
        #expect(error(.reset(afterBytes: nil, after: nil)) == nil)
        #expect(error(.reset(afterBytes: 0, after: .zero)) == nil)
        #expect(error(.blackhole(closeAfter: nil)) == nil)
        #expect(error(.slowClose(delay: .seconds(1))) == nil)
        #expect(error(.slicer(averageSize: 10, sizeVariation: 9, delay: .zero)) == nil)
        #expect(error(.limitData(bytes: 0)) == nil)
        #expect(error(.limitData(bytes: 1), toxicity: 0) == nil)
    }

    @Test func badSettingsSayWhyInOneLine() {
        let cases: [(Toxic.Kind, Double, String)] = [
            (.latency(latency: .milliseconds(-1), jitter: .zero), 1, "latency must not be negative"),
            (.latency(latency: .zero, jitter: .milliseconds(-1)), 1, "jitter must not be negative"),
            (.bandwidth(bytesPerSecond: 0), 1, "bandwidth rate must be at least 1"),
            (.reset(afterBytes: -1, after: nil), 1, "reset after bytes must not be negative"),
            (.reset(afterBytes: nil, after: .seconds(-1)), 1, "reset after must not be negative"),
            (.blackhole(closeAfter: .seconds(-1)), 1, "blackhole close after must not be negative"),
            (.slowClose(delay: .seconds(-1)), 1, "slow_close delay must not be negative"),
            (.slicer(averageSize: 0, sizeVariation: 0, delay: .zero), 1, "slicer average size must be at least 1"),
            (.slicer(averageSize: 10, sizeVariation: 10, delay: .zero), 1, "below the average size 10"),
            (.slicer(averageSize: 10, sizeVariation: -1, delay: .zero), 1, "slicer size variation must be at least 0"),
            (.slicer(averageSize: 10, sizeVariation: 1, delay: .seconds(-1)), 1, "slicer delay must not be negative"),
            (.limitData(bytes: -1), 1, "limit_data bytes must not be negative"),
            (.limitData(bytes: 1), 1.5, "toxicity must be between 0 and 1"),
            (.limitData(bytes: 1), -0.1, "toxicity must be between 0 and 1"),
            (.limitData(bytes: 1), .nan, "toxicity must be between 0 and 1"),
        ]
        for (kind, toxicity, expected) in cases {
            let message = error(kind, toxicity: toxicity)
            #expect(message?.contains(expected) == true, "\(kind.toxiproxyType): \(message ?? "accepted")")
            #expect(message?.hasPrefix("toxic t: ") == true)
            #expect(message?.contains("\n") == false)
        }
    }

    @Test func aListNamesEachToxicOnce() {
        let a = Toxic(name: "a", kind: .limitData(bytes: 1), direction: .upstream)
        let b = Toxic(name: "a", kind: .limitData(bytes: 2), direction: .downstream)
        #expect(throws: ToxicError("toxic a is listed twice")) { try Toxic.validate([a, b]) }
        #expect(throws: ToxicError("a toxic needs a name")) {
            try Toxic.validate([Toxic(name: "", kind: .limitData(bytes: 1), direction: .upstream)])
        }
        #expect(throws: Never.self) { try Toxic.validate([a]) }
    }
}
