// MeshTestSupport: what the test suites share. Waiting on conditions with a deadline
// (never sleeping and hoping), values shared between loop threads and the test thread,
// and ports that refuse connections. Linked only by test targets.

import Glibc
import MeshIO
import Synchronization

/// Waits until `condition` holds, checking every millisecond, for at most `seconds`.
/// Returns whether it held: tests assert on the result instead of sleeping and hoping.
public func eventually(within seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Posix.monotonicNanoseconds() + UInt64(seconds * 1e9)
    while Posix.monotonicNanoseconds() < deadline {
        if condition() { return true }
        Posix.sleep(nanoseconds: 1_000_000)
    }
    return condition()
}

/// A value shared between a loop thread and the test thread.
public final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    public init(_ value: Value) { storage = Mutex(value) }
    public var value: Value { storage.withLock { $0 } }
    public func update(_ body: (inout Value) -> Void) { storage.withLock { body(&$0) } }
}

/// Holds loop-confined objects (connections, pools) so `@Sendable` tasks can reach them.
/// Only ever touched on `loop`'s thread (every access goes through `onLoop`).
public final class LoopBound<Value>: @unchecked Sendable {
    public let loop: EventLoop
    private var storage: Value

    public init(loop: EventLoop, _ value: Value) {
        self.loop = loop
        self.storage = value
    }

    /// The value; call only on the loop thread.
    public var value: Value {
        get {
            precondition(loop.inEventLoop, "loop-confined value touched off its loop")
            return storage
        }
        set {
            precondition(loop.inEventLoop, "loop-confined value touched off its loop")
            storage = newValue
        }
    }
}

/// Runs `body` on `loop` and waits (bounded) for its result; nil if the loop did not answer in time.
public func onLoop<T: Sendable>(_ loop: EventLoop, within seconds: Double = 5, _ body: @escaping @Sendable () -> T) -> T? {
    let result = Shared<T?>(nil)
    loop.execute {
        let value = body()
        result.update { $0 = value }
    }
    guard eventually(within: seconds, { result.value != nil }) else { return nil }
    return result.value
}

/// The address of a port that refuses connections: a bound socket that never listens.
/// Holding it bound keeps anyone else from listening there; close it with `Posix.close`.
public func reserveRefusingPort() throws(IOError) -> (fd: Int32, address: SocketAddress) {
    let fd = try Posix.socket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue))
    do {
        try Posix.bind(fd, SocketAddress("127.0.0.1:0")!)
        return (fd, try Posix.localAddress(fd))
    } catch {
        Posix.close(fd)
        throw error
    }
}

// MARK: requests
