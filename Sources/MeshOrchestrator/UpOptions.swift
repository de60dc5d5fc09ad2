/// What `meshbed up` was asked to do.
public struct UpOptions: Sendable, Equatable {
    /// The topology file, as given.
    public var file: String
    /// `--detach`: start a supervisor in its own session and return once it is ready.
    public var detach: Bool
    /// `--state-dir`, as given (nil: the default `./.meshbed`).
    public var stateDirectory: String?
    /// False with `--no-mesh`: start only the apps.
    public var mesh: Bool
    /// `--supervise` (hidden): this process is the detached supervisor `--detach` started.
    public var supervise: Bool
    /// `--ready-timeout` (hidden): how long each stage may take to become ready.
    public var readyTimeout: Duration
    /// With `detach`: the detached supervisor still dies with this process (the demo's
    /// use: a tour that is killed must not leave its mesh behind). nil: it outlives us.
    public var tiedToCaller = false
    /// `--seed N`: every sidecar, the ingress and every echo app draw their random choices
    /// (splits, error rates) from a seed derived from N and their instance, so a run
    /// replays exactly. nil: seeded from the clock.
    public var seed: UInt64?
    /// `--prometheus`: the Prometheus executable to start, scraping every admin port.
    public var prometheus: String?
    /// `--otlp-endpoint URL`: the control plane pushes the spans it receives there (OTLP/HTTP
    /// JSON); checked by the CLI before it gets here.
    public var otlpEndpoint: String?
    /// `--runtime`: processes on this machine's loopback (the default), each instance in a
    /// network namespace of its own joined to the others by a bridge (`NetnsPlan`), or in a
    /// pod of a container engine (`ContainerRun`).
    public var runtime: Runtime = .process
    /// With `detach`: print nothing once ready (a scenario run prints its own report).
    public var quiet = false
    /// With `detach`: signals (blocked by the caller) that end the wait for readiness: the
    /// supervisor is stopped, `up` fails, and the signal is left pending for the caller.
    public var stopSignals: [Int32] = []

    /// The deadline of each readiness gate unless `--ready-timeout` says otherwise.
    public static let defaultReadyTimeout: Duration = .seconds(10)

    public init(
        file: String, detach: Bool = false, stateDirectory: String? = nil, mesh: Bool = true, supervise: Bool = false,
        readyTimeout: Duration = defaultReadyTimeout
    ) {
        self.file = file
        self.detach = detach
        self.stateDirectory = stateDirectory
        self.mesh = mesh
        self.supervise = supervise
        self.readyTimeout = readyTimeout
    }
}
