/// Where the chunks a stage holds end and when each may leave: a FIFO of marks in one reused
/// array (a head index, compacted once past half), beside the stage's `ByteQueue`.
struct ChunkMarks {
    /// One chunk: it ends where the stage's count of bytes taken in reached `end`, and it may
    /// leave (latency) or arrived (slicer) at `time` nanoseconds.
    struct Mark {
        var end: UInt64
        var time: UInt64
    }

    private var marks: [Mark] = []
    private var head = 0

    /// The oldest mark.
    var first: Mark? { head < marks.count ? marks[head] : nil }
    /// Whether there are none.
    var isEmpty: Bool { head == marks.count }

    /// Adds a chunk ending at `end`, merged with the last one when its time is the same.
    mutating func append(end: UInt64, time: UInt64) {
        if head < marks.count, marks[marks.count - 1].time == time {
            marks[marks.count - 1].end = end
        } else {
            marks.append(Mark(end: end, time: time))
        }
    }

    /// Drops the oldest mark.
    mutating func removeFirst() {
        head += 1
        if head == marks.count {
            head = 0
            marks.removeAll(keepingCapacity: marks.capacity <= 1024)
        } else if head >= 64, head * 2 >= marks.count {
            marks.removeFirst(head)
            head = 0
        }
    }

    /// Drops every mark.
    mutating func removeAll() {
        marks = []
        head = 0
    }
}
