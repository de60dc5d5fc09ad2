import Glibc
import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshTestSupport
import Synchronization

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
