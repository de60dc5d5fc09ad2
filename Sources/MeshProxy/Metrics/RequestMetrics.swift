import MeshMetrics
import Synchronization

/// The requests one event loop finished, by label set (SPEC §5: `source`, `destination`,
/// `destination_version`, `response_code`, plus `response_flags` and Istio's `reporter`):
/// a count and a duration histogram per set, read from each request's decision record when
/// it ends. The loop finds a set's series in its own table (no lock; the last one is kept,
/// as most requests repeat the one before); a new set is also published under a lock,
/// rarely, for scrapes, which read the series' atomics from any thread.
final class RequestMetrics: @unchecked Sendable {
    /// Which side of a call reported it: the caller's sidecar (or the ingress) or the callee's.
    enum Reporter: UInt8, Sendable {
        case source, destination

        var name: String { self == .source ? "source" : "destination" }
    }

    /// One label set.
    struct Labels: Hashable, Sendable {
        var reporter: Reporter
        var source: String
        var destination: String
        var destinationVersion: String
        var responseCode: Int
        var flags: UInt16
    }

    /// One label set's numbers.
    final class Series: Sendable {
        let labels: Labels
        let durations = DurationHistogram()

        init(labels: Labels) { self.labels = labels }
    }

    /// The most label sets one loop keeps; requests of further sets are counted in `dropped`
    /// (a caller-chosen `x-meshbed-source` must not grow the table without end).
    static let seriesLimit = 2048

    private var table: [Labels: Series] = [:]
    private var last: Series?
    private let published = Mutex<[Series]>([])
    /// Requests not counted by label set because the table was full.
    let dropped = Atomic<Int>(0)

    /// Counts one finished request that took `nanoseconds`, by the labels given one by one:
    /// a request like the one before goes to its series without building a label set.
    func record(reporter: Reporter, source: String, destination: String, destinationVersion: String, responseCode: Int, flags: UInt16,
                nanoseconds: UInt64) {
        if let last, last.labels.responseCode == responseCode, last.labels.flags == flags, last.labels.reporter == reporter,
           last.labels.destination == destination, last.labels.destinationVersion == destinationVersion, last.labels.source == source {
            last.durations.record(nanoseconds: nanoseconds)
            return
        }
        record(Labels(reporter: reporter, source: source, destination: destination, destinationVersion: destinationVersion,
                      responseCode: responseCode, flags: flags), nanoseconds: nanoseconds)
    }

    /// Counts one finished request that took `nanoseconds`.
    func record(_ labels: Labels, nanoseconds: UInt64) {
        if let last, last.labels == labels {
            last.durations.record(nanoseconds: nanoseconds)
            return
        }
        let series: Series
        if let found = table[labels] {
            series = found
        } else {
            guard table.count < Self.seriesLimit else {
                dropped.add(1, ordering: .relaxed)
                return
            }
            series = Series(labels: labels)
            table[labels] = series
            published.withLock { $0.append(series) }
        }
        last = series
        series.durations.record(nanoseconds: nanoseconds)
    }

    /// Every series so far (any thread).
    func series() -> [Series] {
        published.withLock { $0 }
    }
}
