import MeshOrchestrator

/// The running topology a live change (`route set`, `mtls set`) goes to: found through the
/// state directory or the per-user index, supervised now, with a control plane.
enum RunningMesh {
    /// The state of `topology` (nil: the only one running) and its control plane's address;
    /// each failure is a usage error prefixed with `command`, `noMesh` saying what a topology
    /// started with `--no-mesh` lacks.
    static func locate(_ topology: String?, stateDirectory: String?, command: String, noMesh: String) throws(UsageError)
        -> (state: MeshState, control: String)
    {
        let state: MeshState
        do {
            state = try read(topology, stateDirectory: stateDirectory)
        } catch {
            throw UsageError("\(command): \(error)")
        }
        guard TopologyLauncher.isSupervising(state) else {
            throw UsageError("\(command): topology '\(state.name)' is not running (start it with 'meshbed up')")
        }
        guard let control = state.control else {
            throw UsageError("\(command): topology '\(state.name)' runs without the mesh (up --no-mesh)\(noMesh)")
        }
        return (state, control)
    }

    /// The state file of `topology` (nil: the only one), running or not.
    static func read(_ topology: String?, stateDirectory: String?) throws(OrchestratorError) -> MeshState {
        let (store, name) = try StateDirectory.locate(topology, stateDirectory: stateDirectory)
        guard let state = try store.read(name) else { throw .badInput("no topology '\(name)' in \(store.root)") }
        return state
    }
}
