import MeshCore
import Testing

@Suite struct ClockTests {
    @Test func systemClockIsMonotonic() {
        let clock = SystemClock()
        var previous = clock.now()
        for _ in 0..<10_000 {
            let reading = clock.now()
            #expect(reading >= previous)
            previous = reading
        }
    }

    @Test func systemClockInstancesShareAnOrigin() {
        let a = SystemClock().now()
        let b = SystemClock().now()
        #expect(b >= a)
        #expect(b - a < 1_000_000_000)
    }

    @Test func systemClockMeasuresElapsedTime() async throws {
        let clock = SystemClock()
        let outerStart = ContinuousClock.now
        let start = clock.now()
        try await Task.sleep(for: .milliseconds(20))
        let elapsed = clock.now() - start
        let outer = ContinuousClock.now - outerStart
        // At least the sleep, and no more than the standard clock saw around it: nanoseconds,
        // whatever the scheduler did to the sleep (no upper bound on wall time here).
        #expect(elapsed >= 20_000_000)
        #expect(Duration.nanoseconds(Int64(elapsed)) <= outer)
    }

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
        let clocks: [any MeshClock] = [manual, SystemClock()]
        manual.advance(by: 5)
        #expect(clocks[0].now() == 15)
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
