import MeshHTTP
import MeshHTTPIO
import MeshIO

/// One try of a request against one endpoint: it owns its connection, its attempt number,
/// its endpoint and its deadlines (connect timeout while connecting, then the per-try
/// timeout; the exchange's one timer per connection fires them, so an attempt schedules
/// nothing itself), and passes the connection's events to its exchange while it is the
/// exchange's current attempt. An attempt the exchange gave up (`detach`) closes its connection and says nothing
/// more, so a retry never hears from the try before it.
final class UpstreamAttempt: UpstreamEvents {
    /// The 1-based attempt number.
    let number: Int
    /// The endpoint's instance id and address.
    let endpointID: String
    let address: SocketAddress
    private(set) var connection: (any UpstreamConnection)?
    /// Whether the connection came from the pool already connected.
    private(set) var reused: Bool
    /// Whether the request went again on a new connection after a pooled one turned out dead.
    private(set) var resent = false
    /// Set when this attempt's own timer closed the connection: what the failure means.
    private(set) var timedOut: AttemptOutcome?
    private weak var exchange: ProxyExchange?
    private var connectDeadline: UInt64 = 0
    private var perTryDeadline: UInt64 = 0
    /// Whether the response head arrived.
    private var answered = false

    init(number: Int, endpointID: String, address: SocketAddress, connection: any UpstreamConnection, exchange: ProxyExchange) {
        self.number = number
        self.endpointID = endpointID
        self.address = address
        self.connection = connection
        self.reused = connection.isConnected
        self.exchange = exchange
    }

    /// Sends the request head and the body recorded so far (a retry replays the whole body).
    func send(head: [UInt8], body: [UInt8], isHEAD: Bool) {
        guard let connection else { return }
        head.withUnsafeBytes { connection.send($0, isHEAD: isHEAD, events: self) }
        if !body.isEmpty, self.connection != nil { body.withUnsafeBytes { connection.writeBody($0) } }
    }

    /// Sends the (bodiless) request again on `fresh`, once: a pooled connection the upstream
    /// had closed a moment ago failed on first use, as any HTTP client does.
    func resend(head: [UInt8], isHEAD: Bool, on fresh: any UpstreamConnection) {
        resent = true
        reused = false
        connection = fresh
        head.withUnsafeBytes { fresh.send($0, isHEAD: isHEAD, events: self) }
    }

    /// Limits connecting to `timeout` nanoseconds after `now` (when the connection is new).
    func armConnectTimeout(_ timeout: UInt64, now: UInt64) {
        guard timeout > 0, let connection, !connection.isConnected else { return }
        connectDeadline = now &+ timeout
    }

    /// Limits waiting for the response head to `timeout` nanoseconds after `now` (not once
    /// the head arrived).
    func armPerTryTimeout(_ timeout: UInt64, now: UInt64) {
        guard timeout > 0, connection != nil, !answered else { return }
        perTryDeadline = now &+ timeout
    }

    /// The earliest of its deadlines (0: none).
    var nextDeadline: UInt64 {
        connectDeadline == 0 ? perTryDeadline : perTryDeadline == 0 ? connectDeadline : min(connectDeadline, perTryDeadline)
    }

    /// Acts on the deadlines that passed by `now`: a connection still connecting at its
    /// connect deadline, or without an answer at its per-try deadline, is closed (the failure
    /// then reports `timedOut`).
    func expire(now: UInt64) {
        guard let connection else { return }
        if connectDeadline != 0, now >= connectDeadline {
            connectDeadline = 0
            if !connection.isConnected {
                timedOut = .connectTimeout
                return connection.close()
            }
        }
        if perTryDeadline != 0, now >= perTryDeadline {
            perTryDeadline = 0
            timedOut = .perTryTimeout
            connection.close()
        }
    }

    /// The response head arrived: no more per-try or connect limits.
    func stopTimer() {
        connectDeadline = 0
        perTryDeadline = 0
    }

    /// Gives the attempt up: its connection is closed (never pooled) and its events ignored.
    func detach() {
        stopTimer()
        exchange = nil
        let connection = self.connection
        self.connection = nil
        connection?.close()
    }

    /// Hands the connection back (its exchange ended cleanly) and forgets it.
    func release(to connector: any UpstreamConnector, idleTimeout: UInt64) {
        stopTimer()
        exchange = nil
        if let connection { connector.checkin(connection, idleTimeout: idleTimeout) }
        connection = nil
    }

    // MARK: UpstreamEvents

    func receivedHead(_ head: HTTPResponseHead) {
        answered = true
        exchange?.attemptHead(self, head)
    }
    func receivedBody(_ bytes: UnsafeRawBufferPointer) { exchange?.attemptBody(self, bytes) }
    func receivedEnd() { exchange?.attemptEnd(self) }
    func failed(_ error: HTTPClientError) {
        connection = nil
        stopTimer()
        exchange?.attemptFailed(self, error)
    }
    func becameWritable() { exchange?.attemptWritable(self) }
}
