import MeshOrchestrator

/// `--runtime process|netns|container [--engine podman|docker]`, as `up`, `run` and `test`
/// read it: the runtime, checked to be possible on this machine.
enum RuntimeOption {
    static func scan(_ scanner: inout ArgumentScanner) throws(UsageError) -> Runtime {
        let name = try scanner.option("--runtime") ?? "process"
        let engine = try scanner.option("--engine")
        let runtime: Runtime
        do {
            runtime = try Runtime.parse(name, engine: engine)
        } catch {
            throw UsageError(error.message)
        }
        if let reason = runtime.unavailableReason { throw UsageError(reason) }
        return runtime
    }
}
