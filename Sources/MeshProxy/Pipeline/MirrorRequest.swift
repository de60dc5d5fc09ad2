import MeshHTTP
import MeshHTTPIO
import MeshIO

/// A copy of a request sent to a route's mirror version: fire and forget. Its response is
/// read and dropped (the connection then goes back to the pool), its failures are counted
/// and never reach the caller, and one that does not finish within `timeout` is closed.
/// It keeps itself alive until it ends.
final class MirrorRequest: UpstreamEvents {
    private var connection: (any UpstreamConnection)?
    private let connector: any UpstreamConnector
    private let counters: ProxyCounters
    private let timers: any TimerScheduler
    private var timer: TimerID?
    private var selfReference: MirrorRequest?

    private init(connector: any UpstreamConnector, counters: ProxyCounters, timers: any TimerScheduler) {
        self.connector = connector
        self.counters = counters
        self.timers = timers
    }

    /// Sends `request` (head and body, already serialized) to `address`.
    static func send(_ request: [UInt8], isHEAD: Bool, to address: SocketAddress, connector: any UpstreamConnector,
                     counters: ProxyCounters, timers: any TimerScheduler, timeout: UInt64) {
        counters.mirrored.add(1, ordering: .relaxed)
        guard let connection = try? connector.checkout(address) else {
            counters.mirrorFailures.add(1, ordering: .relaxed)
            return
        }
        let mirror = MirrorRequest(connector: connector, counters: counters, timers: timers)
        mirror.connection = connection
        mirror.selfReference = mirror
        if timeout > 0 {
            mirror.timer = timers.schedule(at: timers.now &+ timeout) { [weak mirror] in
                mirror?.timer = nil
                mirror?.connection?.close()
            }
        }
        request.withUnsafeBytes { connection.send($0, isHEAD: isHEAD, events: mirror) }
    }

    func receivedHead(_ head: HTTPResponseHead) {}
    func receivedBody(_ bytes: UnsafeRawBufferPointer) {}
    func becameWritable() {}

    func receivedEnd() {
        if let connection { connector.checkin(connection, idleTimeout: RoutePolicy.defaultIdleTimeout) }
        end()
    }

    func failed(_ error: HTTPClientError) {
        counters.mirrorFailures.add(1, ordering: .relaxed)
        end()
    }

    private func end() {
        connection = nil
        if let timer { timers.cancel(timer) }
        timer = nil
        selfReference = nil
    }
}
