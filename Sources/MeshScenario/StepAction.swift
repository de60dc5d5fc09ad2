import MeshConfig
import MeshCore
import MeshTopology

/// What a step does before its expectations are checked. A `fault:` step of a process
/// kind is the process step of the same name (`{kind: kill, service: S}` is `kill: {service: S}`).
public enum StepAction: Sendable, Equatable {
    /// `traffic:` send requests and keep the result for the expectations.
    case traffic(TrafficSpec)
    /// `kill:` SIGKILL the selected instances' apps and sidecars.
    case kill(InstanceSelector)
    /// `restart:` stop the selected instances' apps and sidecars if they still run (SIGTERM
    /// to the process group, SIGKILL after a grace), have the supervisor start them again
    /// with the same ports, arguments and environment, and wait (up to
    /// `ScenarioRunner.restartReadyTimeout`) until they are ready again, as `meshbed status`
    /// sees it; the step fails when they are not.
    case restart(InstanceSelector)
    /// `pause:` SIGSTOP the selected instances' apps and sidecars.
    case pause(InstanceSelector)
    /// `resume:` SIGCONT what `pause` stopped.
    case resume(InstanceSelector)
    /// `fault:` add a request- or link-level fault through the control plane (SPEC §6) and
    /// wait until every live sidecar applied it.
    case fault(FaultSpec)
    /// `heal: all`: resume every paused instance and clear every fault (waiting until every
    /// live sidecar applied that).
    case heal
    /// `route:` replace a destination's routes through the control plane and wait (up to
    /// `LiveRoutes.defaultTimeout`) until every live sidecar applied them; the step fails
    /// when they did not.
    case route(RouteChange)
    /// `mtls: strict|permissive`: move the mesh's inbound mode live through the control plane
    /// (as an Istio PeerAuthentication change) and wait until every live sidecar applied it.
    case mtls(MTLSConfig.Mode)
    /// `wait: 2s`.
    case wait(Duration)
    /// A bare `expect:`: check mesh state only.
    case check

    /// The step keys that are actions, in the order the messages list them.
    public static let keys = ["traffic", "fault", "heal", "kill", "restart", "pause", "resume", "route", "mtls", "wait"]

    /// Action keys of SPEC §4 that this build reads but cannot run yet, with the reason.
    public static let notSupportedYet: [String: String] = [:]

    /// `traffic`, `kill`, ...: the key the step was written with.
    public var keyword: String {
        switch self {
        case .traffic: "traffic"
        case .kill: "kill"
        case .restart: "restart"
        case .pause: "pause"
        case .resume: "resume"
        case .fault: "fault"
        case .heal: "heal"
        case .route: "route"
        case .mtls: "mtls"
        case .wait: "wait"
        case .check: "expect"
        }
    }

    /// A one-line summary for reports: `traffic: 200 requests to reviews from the ingress`.
    public var summary: String {
        switch self {
        case .traffic(let spec): "traffic: \(spec.summary)"
        case .kill(let selector): "kill \(selector)"
        case .restart(let selector): "restart \(selector)"
        case .pause(let selector): "pause \(selector)"
        case .resume(let selector): "resume \(selector)"
        case .fault(let spec): "fault \(spec)"
        case .heal: "heal all"
        case .route(let change): "route \(change.to): \(change.description)"
        case .mtls(let mode): "mtls \(mode.rawValue)"
        case .wait(let duration): "wait \(duration.meshbedDescription)"
        case .check: "check mesh state"
        }
    }
}
