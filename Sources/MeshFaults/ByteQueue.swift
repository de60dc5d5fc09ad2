import MeshIO

/// A FIFO of bytes in one reused array: appended at the tail, taken from the head (an offset
/// that moves; the array is compacted only once the head passed half of it), so holding and
/// releasing chunks costs no allocation once the array has grown to the stage's working size.
struct ByteQueue {
    /// Arrays larger than this are released once empty (an idle stream keeps little).
    static let retainedCapacity = 64 * 1024

    private var storage: [UInt8] = []
    private var head = 0

    /// Bytes queued.
    var count: Int { storage.count - head }
    /// Whether nothing is queued.
    var isEmpty: Bool { head == storage.count }

    /// Queues `bytes` behind what is there.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        storage.appendBytes(bytes)
    }

    /// Passes the first `count` bytes to `body`, then drops them. `body` must not touch this queue.
    mutating func takeFront(_ count: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        precondition(count >= 0 && count <= self.count, "taking more bytes than queued")
        guard count > 0 else { return }
        let start = head
        storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<(start + count)])) }
        removeFront(count)
    }

    /// Calls `body` with every queued byte, oldest first.
    func withContents<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let start = head
        return storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    /// Drops the first `count` bytes.
    mutating func removeFront(_ count: Int) {
        precondition(count >= 0 && count <= self.count, "dropping more bytes than queued")
        head += count
        if head == storage.count {
            head = 0
            if storage.capacity > Self.retainedCapacity { storage = [] } else { storage.removeAll(keepingCapacity: true) }
        } else if head >= 4096, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }

    /// Drops everything (and the memory).
    mutating func removeAll() {
        storage = []
        head = 0
    }
}
