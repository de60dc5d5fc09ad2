import MeshIO
import Synchronization

/// Waits until `condition` holds, checking every millisecond, for at most `seconds`.
/// Returns whether it held: tests assert on the result instead of sleeping and hoping.
func eventually(within seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Posix.monotonicNanoseconds() + UInt64(seconds * 1e9)
    while Posix.monotonicNanoseconds() < deadline {
        if condition() { return true }
        Posix.sleep(nanoseconds: 1_000_000)
    }
    return condition()
}

/// A value shared between a loop thread and the test thread.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value { storage.withLock { $0 } }
    func update(_ body: (inout Value) -> Void) { storage.withLock { body(&$0) } }
}
