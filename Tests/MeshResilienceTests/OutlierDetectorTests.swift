import MeshCore
import MeshResilience
import Testing

@Suite struct OutlierDetectorTests {
    private static let second: UInt64 = 1_000_000_000

    /// Three 5xx in a row eject; no cap and no panic unless a test asks.
    private func settings(
        consecutive5xx: Int = 3, gateway: Int = 0, maxEjectionPercent: Int = 100, minHealthPercent: Int = 0,
        maxEjectionTime: UInt64 = 300 * second
    ) -> OutlierDetection {
        OutlierDetection(
            consecutive5xxErrors: consecutive5xx, consecutiveGatewayErrors: gateway, interval: 10 * Self.second,
            baseEjectionTime: 30 * Self.second, maxEjectionTime: maxEjectionTime,
            maxEjectionPercent: maxEjectionPercent, minHealthPercent: minHealthPercent)
    }

    private func fail(_ detector: OutlierDetector, _ endpoint: Int, times: Int, at now: UInt64,
                      outcome: EndpointOutcome = .serverError) -> OutlierEvent? {
        var last: OutlierEvent?
        for _ in 0..<times { last = detector.record(endpoint: endpoint, outcome: outcome, now: now) }
        return last
    }

    @Test func defaultsAreIstios() {
        let defaults = OutlierDetection()
        #expect(defaults.consecutive5xxErrors == 5)
        #expect(defaults.consecutiveGatewayErrors == 0)
        #expect(defaults.interval == 10 * Self.second)
        #expect(defaults.baseEjectionTime == 30 * Self.second)
        #expect(defaults.maxEjectionPercent == 10)
        #expect(defaults.minHealthPercent == 50)
    }

    @Test func outcomesFromStatusCodes() {
        #expect(EndpointOutcome(status: 200) == .success)
        #expect(EndpointOutcome(status: 404) == .success)
        #expect(EndpointOutcome(status: 500) == .serverError)
        #expect(EndpointOutcome(status: 501) == .serverError)
        #expect([502, 503, 504].map(EndpointOutcome.init(status:)) == [.gatewayError, .gatewayError, .gatewayError])
        #expect(EndpointOutcome.connectFailure.isGatewayError && EndpointOutcome.connectFailure.isServerError)
        #expect(EndpointOutcome.serverError.isServerError && !EndpointOutcome.serverError.isGatewayError)
        #expect(!EndpointOutcome.success.isServerError)
    }

    @Test func consecutive5xxEject() {
        let clock = ManualClock(nanoseconds: 5 * Self.second)
        let detector = OutlierDetector(endpoints: ["a", "b", "c", "d"], configuration: settings())
        #expect(fail(detector, 1, times: 2, at: clock.now()) == nil)
        #expect(!detector.isEjected(1, now: clock.now()))
        let event = detector.record(endpoint: 1, outcome: .serverError, now: clock.now())
        #expect(event == OutlierEvent(kind: .ejected, cause: .consecutive5xxErrors, endpoint: 1, id: "b",
                                      until: 35 * Self.second, ejectionCount: 1))
        #expect(detector.isEjected(1, now: clock.now()))
        #expect(!detector.isEjected(0, now: clock.now()) && !detector.isEjected(2, now: clock.now()))
        #expect(detector.ejectedCount(now: clock.now()) == 1)
    }

    @Test func aSuccessEndsTheStreak() {
        let detector = OutlierDetector(endpoints: ["a", "b"], configuration: settings())
        #expect(fail(detector, 0, times: 2, at: 0) == nil)
        #expect(detector.record(endpoint: 0, outcome: .success, now: 0) == nil)
        #expect(fail(detector, 0, times: 2, at: 0) == nil)
        #expect(!detector.isEjected(0, now: 0))
        #expect(detector.record(endpoint: 0, outcome: .serverError, now: 0)?.kind == .ejected)
    }

    @Test func anEjectedEndpointReturnsAfterBaseTimesCount() {
        let clock = ManualClock()
        let detector = OutlierDetector(endpoints: ["a", "b"], configuration: settings())
        #expect(fail(detector, 0, times: 3, at: clock.now())?.until == 30 * Self.second)
        clock.advance(by: 30 * Self.second - 1)
        #expect(detector.isEjected(0, now: clock.now()))
        clock.advance(by: 1)
        #expect(!detector.isEjected(0, now: clock.now()))
        // Ejected again at once: the count is 2, so twice the base time.
        let second = fail(detector, 0, times: 3, at: clock.now())
        #expect(second?.ejectionCount == 2)
        #expect(second?.until == 90 * Self.second)
        #expect(detector.isEjected(0, now: 90 * Self.second - 1))
        #expect(!detector.isEjected(0, now: 90 * Self.second))
    }

    @Test func failuresWhileEjectedDoNotCount() {
        let detector = OutlierDetector(endpoints: ["a", "b"], configuration: settings())
        #expect(fail(detector, 0, times: 3, at: 0)?.kind == .ejected)
        #expect(fail(detector, 0, times: 10, at: Self.second) == nil)
        // Back in service with a fresh streak: two failures are not enough.
        #expect(fail(detector, 0, times: 2, at: 30 * Self.second) == nil)
        #expect(!detector.isEjected(0, now: 30 * Self.second))
    }

    @Test func theEjectionCountDecaysOnePerIntervalInService() {
        let detector = OutlierDetector(endpoints: ["a", "b"], configuration: settings())
        #expect(fail(detector, 0, times: 3, at: 0)?.ejectionCount == 1)                  // back at 30 s
        #expect(fail(detector, 0, times: 3, at: 30 * Self.second)?.until == 90 * Self.second)  // count 2
        // 19.9 s in service: one whole interval, so 2 - 1 + 1 = 2 again.
        let third = fail(detector, 0, times: 3, at: 109_900_000_000)
        #expect(third?.ejectionCount == 2)
        #expect(third?.until == 169_900_000_000)
        // Two whole intervals in service: 2 - 2 + 1 = 1.
        #expect(fail(detector, 0, times: 3, at: 189_900_000_000)?.ejectionCount == 1)
        // Long in service: the count never goes below zero.
        #expect(fail(detector, 0, times: 3, at: 10_000 * Self.second)?.ejectionCount == 1)
    }

    @Test func maxEjectionTimeCapsTheLength() {
        let detector = OutlierDetector(endpoints: ["a", "b"], configuration: settings(maxEjectionTime: 100 * Self.second))
        var now: UInt64 = 0
        var lengths: [UInt64] = []
        var counts: [Int] = []
        for _ in 0..<6 {
            guard let event = fail(detector, 0, times: 3, at: now) else { break }
            lengths.append((event.until - now) / Self.second)
            counts.append(event.ejectionCount)
            now = event.until
        }
        #expect(lengths == [30, 60, 90, 100, 100, 100])
        #expect(counts == [1, 2, 3, 4, 4, 4])
    }

    @Test func maxEjectionPercentCapsEjections() {
        let ids = (0..<10).map { "e\($0)" }
        let detector = OutlierDetector(endpoints: ids, configuration: settings(maxEjectionPercent: 20))
        #expect(fail(detector, 0, times: 3, at: 0)?.kind == .ejected)
        #expect(fail(detector, 1, times: 3, at: Self.second)?.kind == .ejected)
        let capped = fail(detector, 2, times: 3, at: 2 * Self.second)
        #expect(capped == OutlierEvent(kind: .overflowed, cause: .consecutive5xxErrors, endpoint: 2, id: "e2",
                                       until: 0, ejectionCount: 0))
        #expect(!detector.isEjected(2, now: 2 * Self.second))
        // The streak started again: the next failure alone does not retry the ejection.
        #expect(detector.record(endpoint: 2, outcome: .serverError, now: 3 * Self.second) == nil)
        // Once e0 is back, another full streak ejects e2.
        #expect(fail(detector, 2, times: 2, at: 30 * Self.second)?.kind == .ejected)
        #expect(detector.ejectedCount(now: 30 * Self.second) == 2)
    }

    @Test func theCapRoundsLikeEnvoy() {
        // 0 % ejected < 10 %: the first of three is ejected; 33 % is not below 10 %: not the second.
        let three = OutlierDetector(endpoints: ["a", "b", "c"], configuration: settings(maxEjectionPercent: 10))
        #expect(fail(three, 0, times: 3, at: 0)?.kind == .ejected)
        #expect(fail(three, 1, times: 3, at: 0)?.kind == .overflowed)
        let never = OutlierDetector(endpoints: ["a", "b", "c"], configuration: settings(maxEjectionPercent: 0))
        #expect(fail(never, 0, times: 3, at: 0)?.kind == .overflowed)
        #expect(!never.isEjected(0, now: 0))
    }

    @Test func belowMinHealthPercentEjectionsAreIgnored() {
        let detector = OutlierDetector(
            endpoints: ["a", "b", "c", "d"], configuration: settings(minHealthPercent: 50))
        #expect(fail(detector, 0, times: 3, at: 0)?.kind == .ejected)
        #expect(fail(detector, 1, times: 3, at: Self.second)?.kind == .ejected)
        // Two of four in service is 50 %: not below the threshold.
        #expect(!detector.isPanicking(now: Self.second))
        #expect(detector.isEjected(0, now: Self.second) && detector.isEjected(1, now: Self.second))
        #expect(fail(detector, 2, times: 3, at: 2 * Self.second)?.kind == .ejected)
        // One of four: panic, every endpoint takes traffic.
        #expect(detector.isPanicking(now: 2 * Self.second))
        #expect((0..<4).allSatisfy { !detector.isEjected($0, now: 2 * Self.second) })
        #expect(detector.ejectedCount(now: 2 * Self.second) == 3)
        // a returns at 30 s: two of four in service, the ejections apply again.
        #expect(detector.isPanicking(now: 30 * Self.second - 1))
        #expect(!detector.isEjected(1, now: 30 * Self.second - 1))
        #expect(detector.isEjected(1, now: 30 * Self.second))
        #expect(!detector.isPanicking(now: 30 * Self.second))
        #expect(!detector.isEjected(0, now: 30 * Self.second))
    }

    @Test func aZeroThresholdNeverPanics() {
        let detector = OutlierDetector(endpoints: ["a", "b"], configuration: settings(minHealthPercent: 0))
        _ = fail(detector, 0, times: 3, at: 0)
        _ = fail(detector, 1, times: 3, at: 0)
        #expect(detector.isEjected(0, now: 0) && detector.isEjected(1, now: 0))
        #expect(!detector.isPanicking(now: 0))
    }

    @Test func gatewayErrors() {
        let detector = OutlierDetector(endpoints: ["a", "b", "c"], configuration: settings(consecutive5xx: 0, gateway: 2))
        // A 500 is not a gateway error and ends the gateway streak; with consecutive5xx off it never ejects.
        #expect(fail(detector, 0, times: 10, at: 0) == nil)
        #expect(detector.record(endpoint: 0, outcome: .gatewayError, now: 0) == nil)
        #expect(detector.record(endpoint: 0, outcome: .serverError, now: 0) == nil)
        #expect(detector.record(endpoint: 0, outcome: .gatewayError, now: 0) == nil)
        let event = detector.record(endpoint: 0, outcome: .connectFailure, now: 0)
        #expect(event?.kind == .ejected)
        #expect(event?.cause == .consecutiveGatewayErrors)
        #expect(detector.record(endpoint: 1, outcome: .reset, now: 0) == nil)
        #expect(detector.record(endpoint: 1, outcome: .timeout, now: 0)?.cause == .consecutiveGatewayErrors)
    }

    @Test func gatewayErrorsCountAs5xxToo() {
        let detector = OutlierDetector(endpoints: ["a", "b"], configuration: settings(consecutive5xx: 3))
        #expect(detector.record(endpoint: 0, outcome: .gatewayError, now: 0) == nil)
        #expect(detector.record(endpoint: 0, outcome: .connectFailure, now: 0) == nil)
        #expect(detector.record(endpoint: 0, outcome: .reset, now: 0)?.cause == .consecutive5xxErrors)
    }

    @Test func indicesOutOfRangeAreIgnored() {
        let detector = OutlierDetector(endpoints: ["a"], configuration: settings(consecutive5xx: 1))
        #expect(detector.record(endpoint: 5, outcome: .serverError, now: 0) == nil)
        #expect(detector.record(endpoint: -1, outcome: .serverError, now: 0) == nil)
        #expect(!detector.isEjected(5, now: 0))
        let empty = OutlierDetector(endpoints: [], configuration: settings())
        #expect(!empty.isPanicking(now: 0))
        #expect(empty.ejectedCount(now: 0) == 0)
    }

    @Test func anEndpointListUpdateKeepsTheStateOfThoseStillPresent() {
        let detector = OutlierDetector(endpoints: ["a", "b", "c"], configuration: settings())
        #expect(fail(detector, 1, times: 3, at: 0)?.until == 30 * Self.second)
        _ = fail(detector, 2, times: 2, at: 0)
        let updated = detector.updated(endpoints: ["c", "d", "b"])
        #expect(updated.endpoints == ["c", "d", "b"])
        #expect(updated.isEjected(2, now: Self.second))
        #expect(!updated.isEjected(2, now: 30 * Self.second))
        #expect(!updated.isEjected(0, now: Self.second) && !updated.isEjected(1, now: Self.second))
        // c's streak of two carried over: one more failure ejects it.
        #expect(updated.record(endpoint: 0, outcome: .serverError, now: Self.second)?.id == "c")
        // d is new: no streak.
        #expect(fail(updated, 1, times: 2, at: Self.second) == nil)
        // b's ejection count carried over: its next ejection is its second.
        #expect(fail(updated, 2, times: 3, at: 30 * Self.second)?.ejectionCount == 2)
        // New settings apply to the new detector only.
        let stricter = updated.updated(endpoints: ["d"], configuration: settings(consecutive5xx: 1))
        #expect(stricter.record(endpoint: 0, outcome: .serverError, now: 40 * Self.second)?.kind == .ejected)
        #expect(detector.configuration.consecutive5xxErrors == 3)
    }

    /// Many threads record outcomes and ask for ejections at one instant: every ejection is
    /// reported once, the cap holds, and the answers agree with the events.
    @Test func concurrentRecordingIsConsistent() async {
        let ids = (0..<8).map { "e\($0)" }
        let detector = OutlierDetector(endpoints: ids, configuration: settings(maxEjectionPercent: 50))
        let now = 7 * Self.second
        let events = await withTaskGroup(of: [OutlierEvent].self) { group in
            for task in 0..<8 {
                group.addTask {
                    var random = SeededRandom(seed: UInt64(task))
                    var events: [OutlierEvent] = []
                    for step in 0..<20_000 {
                        let endpoint = (step &+ task) % 8
                        // Odd endpoints always fail; even ones mostly succeed.
                        let failing = endpoint % 2 == 1 || random.percent(30)
                        if let event = detector.record(
                            endpoint: endpoint, outcome: failing ? .gatewayError : .success, now: now)
                        {
                            events.append(event)
                        }
                        _ = detector.isEjected(Int(random.next() % 8), now: now)
                    }
                    return events
                }
            }
            var all: [OutlierEvent] = []
            for await events in group { all += events }
            return all
        }
        let ejected = events.filter { $0.kind == .ejected }
        #expect(ejected.count == 4)
        #expect(Set(ejected.map(\.endpoint)).count == ejected.count)
        #expect(ejected.allSatisfy { $0.until == now + 30 * Self.second && $0.ejectionCount == 1 })
        #expect(detector.ejectedCount(now: now) == 4)
        for endpoint in 0..<8 {
            #expect(detector.isEjected(endpoint, now: now) == ejected.contains { $0.endpoint == endpoint })
        }
    }

    /// Threads failing the same endpoint at the same instant race past the lock-free check
    /// together; the one that finds it already ejected under the lock must not eject it again.
    /// Each round is 1000 s after the previous (every ejection over, every count decayed), so
    /// an endpoint is ejected exactly once per round (by the first thread to reach it there),
    /// with a count of 1.
    @Test func racingFailuresEjectOncePerInstant() async {
        let endpoints = 16
        let detector = OutlierDetector(
            endpoints: (0..<endpoints).map { "e\($0)" },
            configuration: settings(consecutive5xx: 1, maxEjectionPercent: 100))
        let events = await withTaskGroup(of: [OutlierEvent].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var events: [OutlierEvent] = []
                    for round in 1...300 {
                        let now = UInt64(round) * 1_000 * Self.second
                        for endpoint in 0..<endpoints {
                            if let event = detector.record(endpoint: endpoint, outcome: .reset, now: now) {
                                events.append(event)
                            }
                        }
                    }
                    return events
                }
            }
            var all: [OutlierEvent] = []
            for await events in group { all += events }
            return all
        }
        #expect(events.allSatisfy { $0.kind == .ejected && $0.ejectionCount == 1 })
        let perInstant = Set(events.map { "\($0.endpoint)@\($0.until)" })
        #expect(perInstant.count == events.count)
        #expect(events.count == 300 * endpoints)
    }
}
