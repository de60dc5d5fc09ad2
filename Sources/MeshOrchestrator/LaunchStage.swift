/// A group of processes started together and gated together: every one must pass its
/// readiness probe before the next stage starts.
public struct LaunchStage: Sendable, Equatable {
    /// What the stage starts, for messages: `control plane`, `apps`, `sidecars`, `ingress gateway`.
    public var title: String
    /// Its processes, in start order.
    public var processes: [ProcessSpec]

    public init(title: String, processes: [ProcessSpec]) {
        self.title = title
        self.processes = processes
    }
}
