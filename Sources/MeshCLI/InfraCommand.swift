import MeshIO

/// `meshbed infra --supervisor PID:START` (internal): the process of a container runtime's
/// pod (or Docker infra container), which holds an instance's network namespace while its
/// app and sidecar containers come and go, as Kubernetes' pause container does. It does
/// nothing else, ends on SIGTERM or SIGINT, and dies with the supervisor it watches.
enum InfraCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "infra")
        let supervisor = try scanner.option("--supervisor")
        try scanner.finish()
        guard let supervisor else { throw UsageError("infra: missing --supervisor PID:START") }
        Posix.blockSignals([ProcessSignal.terminate, ProcessSignal.interrupt])
        guard Posix.watchSupervisor(supervisor) else {
            Posix.writeAll(2, Array("meshbed infra: the supervisor \(supervisor) does not run\n".utf8))
            return 1
        }
        _ = Posix.waitForSignal([ProcessSignal.terminate, ProcessSignal.interrupt])
        return 0
    }
}
