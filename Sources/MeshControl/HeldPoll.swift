import MeshHTTPIO
import MeshIO

/// A `GET /v1/snapshot` waiting for a version newer than `after`: its exchange and the
/// timer that answers 204 when the hold time is up. Loop-confined, like its exchange.
struct HeldPoll {
    /// The waiting exchange (its connection); answered once, then forgotten.
    let exchange: HTTPServerConnection
    /// The instance that polls.
    let instance: String
    /// The version the instance has.
    let after: Int
    /// Fires the 204.
    let timer: TimerID
}
