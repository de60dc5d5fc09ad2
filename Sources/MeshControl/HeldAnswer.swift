import MeshHTTPIO
import MeshIO

/// A Toxiproxy API answer held until every live sidecar applied `version` (Toxiproxy's
/// changes are in force when it answers, so its clients send traffic right after), with
/// the timer that gives up. Loop-confined, like its exchange.
struct HeldAnswer {
    /// The waiting exchange; answered once, then forgotten.
    let exchange: HTTPServerConnection
    /// The snapshot version that carries the change.
    let version: Int
    /// The answer to send once the sidecars applied it.
    let response: ControlResponse
    /// Fires the 504 when the sidecars take too long.
    let timer: TimerID
}
