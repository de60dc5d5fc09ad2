import MeshIO

/// The process faults (`kill`, `pause`, `resume`; SPEC §6) on a running topology's
/// instances: signals to their app and sidecar processes, only to pids that still belong
/// to the run (never to a process that took over a pid). `restart` goes through the
/// supervisor (`RestartChannel`). Used by `meshbed fault add` and the scenario steps.
public enum ProcessFaults {
    /// The instances of `service`, narrowed to `version` and to `index` (within its version).
    public static func instances(service: String, version: String?, index: Int?, in state: MeshState) -> [InstanceState] {
        state.instances.filter { $0.service == service && (version == nil || $0.version == version) && (index == nil || $0.index == index) }
    }

    /// The app and sidecar pids of `instances` that still belong to the run of `state`. In
    /// containers, the recorded pids are the engine's clients: the processes in the
    /// containers are found by their instance (`MESHBED_INSTANCE`) and the run's id.
    public static func pids(of instances: [InstanceState], in state: MeshState) -> [Int32] {
        var pids = instances.flatMap { [$0.pid, $0.sidecarPID].compactMap { $0 } }.filter { ProcessSweeper.belongs($0, toRun: state.runID) }
        if state.containers != nil {
            for instance in instances {
                pids += ProcessSweeper.members(ofRun: state.runID, carrying: "MESHBED_INSTANCE=\(instance.id)").filter { !pids.contains($0) }
            }
        }
        return pids
    }

    /// SIGKILL to each pid; returns the pids signalled.
    @discardableResult
    public static func kill(_ pids: [Int32]) -> [Int32] {
        pids.filter { Posix.sendSignal(ProcessSignal.kill, to: $0) }
    }

    /// SIGSTOP to each pid; returns the pids stopped.
    @discardableResult
    public static func pause(_ pids: [Int32]) -> [Int32] {
        pids.filter { Posix.sendSignal(ProcessSignal.stop, to: $0) }
    }

    /// SIGCONT to each pid (harmless to one that runs); returns the pids signalled.
    @discardableResult
    public static func resume(_ pids: [Int32]) -> [Int32] {
        pids.filter { Posix.sendSignal(ProcessSignal.resume, to: $0) }
    }
}
