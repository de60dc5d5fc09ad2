/// What the stages of one `ToxicStream` share: its counters, and the first end of the
/// connection a stage asked for (the stream carries it out once the stages are done moving
/// bytes, never while one of them is).
final class StageContext {
    /// How a stage ends the connection.
    enum Ending: Equatable {
        /// An orderly close (a blackhole's time, a data limit).
        case close
        /// An abortive close (RST).
        case reset
    }

    /// An ending a stage asked for: how, on which direction's behalf, by which toxic.
    struct Request: Equatable {
        var ending: Ending
        var direction: Toxic.Direction
        var toxic: String
    }

    /// The stream's counters.
    private(set) var counters = ToxicCounters()
    /// Totals shared with other streams, if the owner gave some.
    let totals: ToxicTotals?

    init(totals: ToxicTotals? = nil) {
        self.totals = totals
    }

    /// Counts bytes held by a stage.
    func countDelayed(_ count: Int) {
        counters.bytesDelayed += UInt64(count)
        totals?.bytesDelayed.add(UInt64(count), ordering: .relaxed)
    }

    /// Counts bytes swallowed or cut off.
    func countDropped(_ count: Int) {
        counters.bytesDropped += UInt64(count)
        totals?.bytesDropped.add(UInt64(count), ordering: .relaxed)
    }

    /// Counts the connection's end by a toxic.
    func countEnding(_ ending: Ending) {
        switch ending {
        case .reset:
            counters.connectionsReset += 1
            totals?.connectionsReset.add(1, ordering: .relaxed)
        case .close:
            counters.connectionsClosed += 1
            totals?.connectionsClosed.add(1, ordering: .relaxed)
        }
    }
    /// The first ending asked for (later ones are ignored: the connection ends once).
    private(set) var request: Request?

    /// Asks for the connection to end.
    func requestEnding(_ ending: Ending, direction: Toxic.Direction, toxic: String) {
        if request == nil { request = Request(ending: ending, direction: direction, toxic: toxic) }
    }
}
