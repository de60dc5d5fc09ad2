import MeshCore
import Testing

@Suite struct ClockTests {
    @Test func manualClockMovesOnlyWhenAdvanced() {
        let clock = ManualClock()
        #expect(clock.now() == 0)
        #expect(clock.now() == 0)
        clock.advance(by: 1_500)
        #expect(clock.now() == 1_500)
        clock.advance(by: .milliseconds(2))
        #expect(clock.now() == 2_001_500)
        clock.advance(by: .zero)
        #expect(clock.now() == 2_001_500)
        #expect(ManualClock(nanoseconds: 42).now() == 42)
    }

    @Test func manualClockIsUsableThroughTheProtocol() {
        let manual = ManualClock(nanoseconds: 10)
        let clocks: [any MeshClock] = [manual, ManualClock(nanoseconds: 99)]
        manual.advance(by: 5)
        #expect(clocks[0].now() == 15)
        #expect(clocks[1].now() == 99)
    }

    @Test func manualClockAdvancesAtomically() async {
        let clock = ManualClock()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<1_000 { clock.advance(by: 3) }
                }
            }
        }
        #expect(clock.now() == 24_000)
    }
}
