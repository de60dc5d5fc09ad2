import Glibc
import MeshHTTP
import MeshHTTPIO
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

/// The address of a port that refuses connections: a bound socket that never listens.
/// Holding it bound keeps anyone else from listening there; close it with `Posix.close`.
func reserveRefusingPort() throws(IOError) -> (fd: Int32, address: SocketAddress) {
    let fd = try Posix.socket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue))
    do {
        try Posix.bind(fd, SocketAddress("127.0.0.1:0")!)
        return (fd, try Posix.localAddress(fd))
    } catch {
        Posix.close(fd)
        throw error
    }
}

/// A server connection held by `SilentHandler`, to be aborted on its own loop at the end of a test.
struct HeldExchange: @unchecked Sendable {
    let loop: EventLoop
    /// Touched only on `loop` (see `abortAll`).
    let connection: HTTPServerConnection
}

/// Reads requests and never answers them; remembers each exchange so the test can abort it.
final class SilentHandler: HTTPRequestHandler {
    let held: Shared<[HeldExchange]>
    let aborted: Shared<Int>

    init(held: Shared<[HeldExchange]>, aborted: Shared<Int>) {
        self.held = held
        self.aborted = aborted
    }

    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {}

    func requestEnd(on exchange: HTTPServerConnection) {
        held.update { $0.append(HeldExchange(loop: exchange.loop, connection: exchange)) }
    }

    func exchangeAborted(on exchange: HTTPServerConnection) {
        aborted.update { $0 += 1 }
    }
}

/// Aborts every held exchange on its loop (closing its connection).
func abortAll(_ held: Shared<[HeldExchange]>) {
    for exchange in held.value {
        exchange.loop.execute { exchange.connection.abort() }
    }
}
