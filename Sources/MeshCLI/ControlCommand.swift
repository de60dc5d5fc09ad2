import MeshControl
import MeshCore
import MeshIO
import MeshTopology

/// `meshbed control`: runs the control plane for one topology file in the foreground
/// until SIGINT or SIGTERM.
///
///     meshbed control --topology FILE [--port P] [--bind 127.0.0.1] [--hold 20s]
///
/// An invalid topology prints its diagnostics (`FILE:LINE:COLUMN: message`, one per line)
/// on standard error and exits 2, as does a port in use. `--port` 0 (the default) takes
/// any free port; the listening line names the one it got.
enum ControlCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "control")
        let file = try scanner.option("--topology")
        let port = try scanner.intOption("--port", range: 0...65535) ?? 0
        let bind = try scanner.option("--bind") ?? "127.0.0.1"
        let hold = try scanner.durationOption("--hold") ?? .seconds(20)
        try scanner.finish()
        guard let file else {
            throw UsageError("--topology: missing (expected the topology file to serve)")
        }
        guard hold > .zero else {
            throw UsageError("--hold: expected a duration above 0 like 20s, got '\(hold.meshbedDescription)'")
        }
        guard let address = SocketAddress(host: bind, port: port) else {
            throw UsageError("--bind: expected a numeric address such as 127.0.0.1 or ::1, got '\(bind)'")
        }

        let topology: Topology
        switch TopologyFile.load(path: file) {
        case .success(let loaded):
            topology = loaded
        case .failure(.invalid(let errors)):
            let lines = errors.diagnostics.map { "\($0)\n" }.joined()
            Posix.writeAll(2, Array(lines.utf8))
            return UsageError.exitCode
        case .failure(let error):
            throw UsageError("--topology: \(error)")
        }

        let configuration = ControlConfiguration(holdTime: UInt64(hold.meshbedNanoseconds))
        // Signals are taken synchronously by this thread; block them before the loop starts.
        Posix.blockSignals([ProcessSignal.interrupt, ProcessSignal.terminate])
        let control: ControlPlane
        do {
            control = try ControlPlane(topology: topology, address: address, configuration: configuration)
        } catch {
            throw UsageError("--port \(port): \(error.isAddressInUse ? "address already in use" : error.description)")
        }
        Posix.writeAll(1, Array("meshbed control: listening on \(control.address)\n".utf8))
        _ = Posix.waitForSignal([ProcessSignal.interrupt, ProcessSignal.terminate])
        control.shutdown()
        return 0
    }
}
