import MeshIO

/// The layer above a `ToxicStream` in the tests: keeps what it is offered (with the manual
/// clock's time of each delivery) unless told to hold back, and what happened to the stream.
final class Recorder: ByteStreamHandler {
    /// One delivery: when, and how many bytes were consumed.
    struct Delivery: Equatable {
        var time: UInt64
        var count: Int
    }

    let clock: ManualTimerScheduler
    /// Whether it consumes what it is offered (false: leaves everything).
    var consuming = true
    private(set) var received: [UInt8] = []
    private(set) var deliveries: [Delivery] = []
    private(set) var eofAt: UInt64?
    private(set) var closedAt: UInt64?
    private(set) var closeError: IOError?
    private(set) var writableCount = 0

    init(clock: ManualTimerScheduler) {
        self.clock = clock
    }

    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        guard consuming else { return 0 }
        received.append(contentsOf: bytes)
        deliveries.append(Delivery(time: clock.now, count: bytes.count))
        return bytes.count
    }

    func connectionReadEOF(_ connection: any ByteStream) { eofAt = clock.now }
    func connectionWritable(_ connection: any ByteStream) { writableCount += 1 }

    func connectionClosed(_ connection: any ByteStream, error: IOError?) {
        closedAt = clock.now
        closeError = error
    }
}
