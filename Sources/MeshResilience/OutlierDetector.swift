import Synchronization

/// Outlier detection (passive health checking) for the endpoints of one destination, as
/// Envoy's `outlier_detection_impl.cc` does it with Istio's settings (`OutlierDetection`).
///
/// - An endpoint is ejected inline, by the outcome that completes `consecutive5xxErrors` (or
///   `consecutiveGatewayErrors`) failures in a row; a success ends both streaks.
/// - An ejection lasts `min(baseEjectionTime × count, maxEjectionTime)`, where `count` is the
///   endpoint's ejection count: it goes up by one per ejection (while `base × count` is below
///   the maximum, as Envoy) and down by one per whole `interval` the endpoint spends back in
///   service. Envoy applies both at its interval sweeps; here the return is exact (at
///   `until`) and the decrease is computed at the next ejection from the time since the
///   return, so nothing needs a timer.
/// - `maxEjectionPercent` caps the share of ejected endpoints (Envoy's test, see
///   `OutlierDetection.maxEjectionPercent`); a capped ejection is reported as `overflowed`
///   and the streak starts again, so the endpoint is ejected once room frees up.
/// - Below `minHealthPercent` endpoints in service, `isEjected` answers `false` for every
///   endpoint (panic: the balancer uses them all, ejected or not).
/// - Failures recorded while an endpoint is ejected (answers to requests sent before) do not
///   count.
///
/// One detector is shared by all of a sidecar's event loops for one destination. The hot
/// path takes no lock: `record` of a success is one or two atomic loads, `isEjected` of an
/// endpoint in service is one. A mutex is taken only when a streak reaches its threshold,
/// and when the panic verdict is out of date (at its first use, and once after each return
/// to service) by the first `isEjected` of an ejected endpoint or `isPanicking` to see it.
///
/// Endpoints are dense indices `0..<endpoints.count` into the list the detector was built
/// with. When a new endpoint list arrives, `updated(endpoints:configuration:)` returns a new
/// detector that keeps the state of the endpoints still present (by id); the caller swaps it
/// in wherever it swaps the endpoint list, so an index always refers to the list it came from.
public final class OutlierDetector: Sendable {
    /// The settings in force.
    public let configuration: OutlierDetection
    /// The endpoint ids, in index order.
    public let endpoints: [String]

    private let slots: [Slot]
    /// The panic verdict and how long it holds: bit 63 is set while panicking; the low 63 bits
    /// are the time up to which the verdict is valid (the earliest return to service, or
    /// `Self.forever` when nothing is ejected).
    private let verdict: Atomic<UInt64>
    /// Per-endpoint ejection bookkeeping, touched only on ejections and carry-over.
    private let books: Mutex<[Book]>

    private static let forever: UInt64 = (1 << 63) - 1
    private static let panicBit: UInt64 = 1 << 63

    /// The lock-free state of one endpoint.
    private final class Slot: Sendable {
        let streak5xx = Atomic<UInt32>(0)
        let streakGateway = Atomic<UInt32>(0)
        /// When the endpoint returns to service; 0 (or any time past) when it is in service.
        let ejectedUntil = Atomic<UInt64>(0)

        init(streak5xx: UInt32 = 0, streakGateway: UInt32 = 0, ejectedUntil: UInt64 = 0) {
            self.streak5xx.store(streak5xx, ordering: .relaxed)
            self.streakGateway.store(streakGateway, ordering: .relaxed)
            self.ejectedUntil.store(ejectedUntil, ordering: .relaxed)
        }
    }

    /// The ejection history of one endpoint.
    private struct Book: Sendable {
        /// Envoy's `ejectTimeBackoff`: multiplies `baseEjectionTime`.
        var ejections = 0
        /// When the last ejection ended (or ends).
        var returnAt: UInt64 = 0
    }

    /// A detector for `endpoints`, all in service with no history.
    public convenience init(endpoints: [String], configuration: OutlierDetection = OutlierDetection()) {
        self.init(endpoints: endpoints, configuration: configuration, slots: endpoints.map { _ in Slot() },
                  books: Array(repeating: Book(), count: endpoints.count))
    }

    private init(endpoints: [String], configuration: OutlierDetection, slots: [Slot], books: [Book]) {
        self.endpoints = endpoints
        self.configuration = configuration
        self.slots = slots
        self.books = Mutex(books)
        // Recomputed by the first `isPanicking` if a carried-over ejection makes it stale.
        self.verdict = Atomic(0)
    }

    /// A detector for a new endpoint list (and possibly new settings) that keeps the streaks,
    /// ejections and ejection counts of the endpoints whose id is still present. Outcomes
    /// recorded on this detector after the call are not carried over.
    public func updated(endpoints newEndpoints: [String], configuration newConfiguration: OutlierDetection? = nil)
        -> OutlierDetector
    {
        var oldIndex: [String: Int] = [:]
        for (index, id) in endpoints.enumerated() where oldIndex[id] == nil { oldIndex[id] = index }
        let oldBooks = books.withLock { $0 }
        var newSlots: [Slot] = []
        var newBooks: [Book] = []
        newSlots.reserveCapacity(newEndpoints.count)
        newBooks.reserveCapacity(newEndpoints.count)
        for id in newEndpoints {
            if let old = oldIndex[id] {
                let slot = slots[old]
                newSlots.append(Slot(streak5xx: slot.streak5xx.load(ordering: .relaxed),
                                     streakGateway: slot.streakGateway.load(ordering: .relaxed),
                                     ejectedUntil: slot.ejectedUntil.load(ordering: .acquiring)))
                newBooks.append(oldBooks[old])
            } else {
                newSlots.append(Slot())
                newBooks.append(Book())
            }
        }
        return OutlierDetector(endpoints: newEndpoints, configuration: newConfiguration ?? configuration,
                               slots: newSlots, books: newBooks)
    }

    /// Records how an attempt to `endpoint` ended at time `now`; returns the ejection (or the
    /// capped one) it caused, if any. Indices outside the endpoint list are ignored.
    @discardableResult
    public func record(endpoint: Int, outcome: EndpointOutcome, now: UInt64) -> OutlierEvent? {
        // The slot is reached through `slots[endpoint]` each time rather than bound to a
        // local: a local copy of the reference costs a retain and a release, atomic writes to
        // a count every event loop shares, on every request.
        guard slots.indices.contains(endpoint) else { return nil }
        guard outcome.isServerError else {
            // Loads first: an endpoint with no streak (the common case) sees no write.
            if slots[endpoint].streak5xx.load(ordering: .relaxed) != 0 {
                slots[endpoint].streak5xx.store(0, ordering: .relaxed)
            }
            if slots[endpoint].streakGateway.load(ordering: .relaxed) != 0 {
                slots[endpoint].streakGateway.store(0, ordering: .relaxed)
            }
            return nil
        }
        if slots[endpoint].ejectedUntil.load(ordering: .relaxed) > now { return nil }
        var cause: OutlierEvent.Cause?
        if outcome.isGatewayError {
            let threshold = configuration.consecutiveGatewayErrors
            if threshold > 0,
               Int(slots[endpoint].streakGateway.wrappingAdd(1, ordering: .relaxed).newValue) >= threshold
            {
                cause = .consecutiveGatewayErrors
            }
        } else if slots[endpoint].streakGateway.load(ordering: .relaxed) != 0 {
            slots[endpoint].streakGateway.store(0, ordering: .relaxed)
        }
        let threshold = configuration.consecutive5xxErrors
        if threshold > 0, Int(slots[endpoint].streak5xx.wrappingAdd(1, ordering: .relaxed).newValue) >= threshold,
           cause == nil
        {
            cause = .consecutive5xxErrors
        }
        guard let cause else { return nil }
        return eject(endpoint, cause: cause, now: now)
    }

    /// Whether `endpoint` is out of service at `now`: ejected and not yet returned, and the
    /// destination not in panic. Indices outside the endpoint list are never ejected.
    public func isEjected(_ endpoint: Int, now: UInt64) -> Bool {
        guard slots.indices.contains(endpoint) else { return false }
        guard slots[endpoint].ejectedUntil.load(ordering: .acquiring) > now else { return false }
        return !isPanicking(now: now)
    }

    /// Whether fewer than `minHealthPercent` of the endpoints are in service at `now`, so
    /// ejections are ignored.
    public func isPanicking(now: UInt64) -> Bool {
        let word = verdict.load(ordering: .acquiring)
        if now < word & Self.forever { return word & Self.panicBit != 0 }
        return books.withLock { _ in
            // Another thread may have refreshed the verdict while this one waited.
            let current = verdict.load(ordering: .acquiring)
            if now < current & Self.forever { return current & Self.panicBit != 0 }
            return publishVerdict(now: now)
        }
    }

    /// The endpoints out of service at `now`, before the panic threshold is applied.
    public func ejectedCount(now: UInt64) -> Int {
        var count = 0
        for slot in slots where slot.ejectedUntil.load(ordering: .relaxed) > now { count += 1 }
        return count
    }

    /// Ejects `endpoint` if it is in service and the cap allows, under the lock.
    private func eject(_ endpoint: Int, cause: OutlierEvent.Cause, now: UInt64) -> OutlierEvent? {
        let slot = slots[endpoint]
        return books.withLock { books -> OutlierEvent? in
            // Both streaks start again whatever happens, so a capped endpoint is tried again
            // after another full streak rather than on every failure.
            slot.streak5xx.store(0, ordering: .relaxed)
            slot.streakGateway.store(0, ordering: .relaxed)
            if slot.ejectedUntil.load(ordering: .relaxed) > now { return nil }
            let id = endpoints[endpoint]
            var book = books[endpoint]
            if book.ejections > 0, now >= book.returnAt, configuration.interval > 0 {
                let intervals = (now - book.returnAt) / configuration.interval
                book.ejections = intervals >= UInt64(book.ejections) ? 0 : book.ejections - Int(intervals)
            }
            let ejected = ejectedCount(now: now)
            let maxPercent = Swift.min(configuration.maxEjectionPercent, 100)
            let allowed = maxPercent > 0 && 100 * ejected < maxPercent * slots.count
            guard allowed else {
                books[endpoint] = book
                return OutlierEvent(kind: .overflowed, cause: cause, endpoint: endpoint, id: id, until: 0,
                                    ejectionCount: book.ejections)
            }
            let base = configuration.baseEjectionTime
            let maximum = configuration.maxEjectionTime
            if Self.product(base, book.ejections) < maximum { book.ejections += 1 }
            let duration = Swift.min(Self.product(base, book.ejections), maximum)
            let (sum, overflow) = now.addingReportingOverflow(duration)
            let until = Swift.min(overflow ? Self.forever : sum, Self.forever)
            book.returnAt = until
            books[endpoint] = book
            slot.ejectedUntil.store(until, ordering: .releasing)
            _ = publishVerdict(now: now)
            return OutlierEvent(kind: .ejected, cause: cause, endpoint: endpoint, id: id, until: until,
                                ejectionCount: book.ejections)
        }
    }

    /// Recomputes the panic verdict at `now` and stores it; call with the lock held.
    private func publishVerdict(now: UInt64) -> Bool {
        var ejected = 0
        var earliestReturn = Self.forever
        for slot in slots {
            let until = slot.ejectedUntil.load(ordering: .acquiring)
            if until > now {
                ejected += 1
                earliestReturn = Swift.min(earliestReturn, until)
            }
        }
        let inService = slots.count - ejected
        let minPercent = Swift.min(configuration.minHealthPercent, 100)
        let panicking = ejected > 0 && 100 * inService < minPercent * slots.count
        verdict.store((panicking ? Self.panicBit : 0) | earliestReturn, ordering: .releasing)
        return panicking
    }

    /// `base × count`, saturating.
    private static func product(_ base: UInt64, _ count: Int) -> UInt64 {
        let (value, overflow) = base.multipliedReportingOverflow(by: UInt64(Swift.max(count, 0)))
        return overflow ? .max : value
    }
}
