import Dispatch
import MeshConfig
import MeshHTTPIO
import MeshIO
import MeshTopology
import Synchronization

/// A running control plane (`meshbed control`): the registry of instances fed by
/// heartbeats, versioned `MeshSnapshot`s built from the topology, long-poll distribution
/// to sidecars, and the JSON API that `MeshConfig` describes, on one HTTP port.
///
/// All state lives on one event loop (its own one-thread group), so it needs no lock.
/// The methods here may be called from any thread: they hop to the loop and wait.
///
///     let control = try ControlPlane(topology: topology, address: SocketAddress("127.0.0.1:0")!)
///     print(control.address)          // 127.0.0.1:P
///     ...
///     control.shutdown()
public final class ControlPlane: Sendable {
    /// The bound address (the real port when 0 was asked for).
    public var address: SocketAddress { server.address }
    /// The topology it serves.
    public let topology: Topology
    /// Its settings.
    public let configuration: ControlConfiguration
    /// The loop all its state lives on (tests stall it to act out a stopped control plane).
    var loop: EventLoop { state.loop }

    private let group: EventLoopGroup
    private let server: HTTPServer
    private let state: ControlState
    private let phase = Mutex(Phase.running)

    private enum Phase {
        case running, stopping, stopped
    }

    /// Starts serving `topology` on `address`. Throws when the address cannot be bound
    /// (`error.isAddressInUse` for a port in use).
    public init(topology: Topology, address: SocketAddress, configuration: ControlConfiguration = ControlConfiguration()) throws(IOError) {
        self.topology = topology
        self.configuration = configuration
        let group = try EventLoopGroup(threads: 1)
        let state = ControlState(topology: topology, loop: group.loops[0], configuration: configuration)
        let maxBodyBytes = configuration.maxBodyBytes
        do {
            server = try HTTPServer(group: group, address: address, configuration: configuration.server) { _ in
                ControlHandler(state: state, maxBodyBytes: maxBodyBytes)
            }
        } catch {
            group.shutdown()
            throw error
        }
        self.group = group
        self.state = state
        state.loop.execute { state.start() }
    }

    /// The current snapshot.
    public func currentSnapshot() -> MeshSnapshot {
        onLoop { $0.snapshot }
    }

    /// The current snapshot version.
    public var version: Int {
        onLoop { $0.snapshot.version }
    }

    /// What `GET /v1/instances` answers: every topology instance, then the ingress gateway
    /// once it has sent a heartbeat.
    public func instances() -> [InstanceStatus] {
        onLoop { $0.instances() }
    }

    /// How many long polls are being held (for tests and status).
    public var heldPollCount: Int {
        onLoop { $0.heldPollCount }
    }

    /// Marks `instance` down: its app or sidecar ended, so it leaves every snapshot at once
    /// (a new version when it was routable; held polls are answered). It comes back when
    /// its sidecar's heartbeats show it noticed (see `MeshConfig`). Returns the version in
    /// force afterwards; throws (status 404) for an unknown instance.
    @discardableResult
    public func markDown(instance: String) throws(ControlError) -> Int {
        let result = onLoop { state in
            Result { () throws(ControlError) in try state.markDown(instance) }
        }
        return try result.get()
    }

    /// Replaces the routes of `destination` live and publishes a new version (always, even
    /// when the routes are the same); returns that version. Header names are lower-cased;
    /// a split names versions of the destination with weights summing to 100, and a mirror
    /// a version of the destination with a percent 0–100. Throws
    /// (status 404) for an unknown service and (400) for an invalid route.
    @discardableResult
    public func replaceRoutes(destination: String, routes: [RouteConfig]) throws(ControlError) -> Int {
        let result = onLoop { state in
            Result { () throws(ControlError) in try state.replaceRoutes(destination: destination, routes: routes) }
        }
        return try result.get()
    }

    /// Moves mutual TLS between strict and permissive live; returns the new version. Throws
    /// (409) when the topology runs with mTLS disabled.
    @discardableResult
    public func setMTLS(mode: MTLSConfig.Mode) throws(ControlError) -> Int {
        let result = onLoop { state in
            Result { () throws(ControlError) in try state.setMTLS(mode: mode) }
        }
        return try result.get()
    }

    /// Replaces the routes of `destination` live with topology routes (a scenario's
    /// `route` step); see `replaceRoutes(destination:routes:)` for `RouteConfig`s.
    @discardableResult
    public func replaceRoutes(destination: String, routes: [Route]) throws(ControlError) -> Int {
        let service = topology.services[destination]
        return try replaceRoutes(destination: destination, routes: routes.map { SnapshotStore.routeConfig($0, service: service) })
    }

    /// Graceful shutdown: held polls are answered 204, the server stops accepting and
    /// finishes in-flight requests (for at most `timeout` nanoseconds), then the loop stops.
    /// Later calls do nothing.
    public func shutdown(timeout: UInt64 = 10_000_000_000) {
        let first = phase.withLock { phase -> Bool in
            guard phase == .running else { return false }
            phase = .stopping
            return true
        }
        guard first else { return }
        onLoop { $0.stop() }
        server.shutdown(timeout: timeout)
        group.shutdown()
        phase.withLock { $0 = .stopped }
    }

    /// Runs `body` with the state on its loop and waits for the result. Once the loop has
    /// stopped (after `shutdown`) no other thread touches the state, so it runs here.
    private func onLoop<T: Sendable>(_ body: @escaping @Sendable (ControlState) -> T) -> T {
        let state = self.state
        if state.loop.inEventLoop || phase.withLock({ $0 == .stopped }) { return body(state) }
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        state.loop.execute {
            let value = body(state)
            result.withLock { $0 = value }
            done.signal()
        }
        // A shutdown racing with this call may stop the loop before the task runs; once
        // the loop thread has ended, the state is this thread's.
        while done.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            if phase.withLock({ $0 == .stopped }) {
                return result.withLock { $0 } ?? body(state)
            }
        }
        return result.withLock { $0! }
    }
}
