import FoundationEssentials
import MeshControl
import MeshCore
import MeshIO
import MeshNetwork
import MeshTLS
import MeshTopology

/// `meshbed control`: runs the control plane for one topology file in the foreground
/// until SIGINT or SIGTERM.
///
///     meshbed control --topology FILE [--port P] [--bind 127.0.0.1] [--hold 20s] [--ca-dir DIR] [--otlp-endpoint URL]
///                     [--netns FILE]   (the network plan of `up --runtime netns`: partitions and loss as packet filters)
///
/// With mTLS (`mesh.mtls` strict or permissive) it is the mesh's certificate authority: it
/// signs with an intermediate (made at start) under the root `mesh.ca` names, else the one
/// kept in `--ca-dir` (made there when absent), else a root of its own made for this run; it
/// checks bootstrap tokens made with
/// the secret in `MESHBED_CA_SECRET` (required with mTLS: `up` sets it).
///
/// With `--otlp-endpoint http://HOST:PORT[/PATH]` it pushes the spans the sidecars send it to
/// that OTLP/HTTP collector as JSON (batched; see `OTLPExporter`).
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
        let caDirectory = try scanner.option("--ca-dir")
        let otlpText = try scanner.option("--otlp-endpoint")
        let netnsFile = try scanner.option("--netns")
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

        var configuration = ControlConfiguration(holdTime: UInt64(hold.meshbedNanoseconds))
        if let netnsFile {
            guard let bytes = Posix.readFile(netnsFile), let plan = try? JSONDecoder().decode(NetnsPlan.self, from: Data(bytes)) else {
                throw UsageError("--netns: cannot read a network plan (JSON, as `up --runtime netns` writes it) from '\(netnsFile)'")
            }
            configuration.network = plan
        } else if let loss = topology.faults.first(where: { $0.kind == .loss }) {
            throw UsageError("faults: \(loss): kind loss drops packets, which only --runtime netns or container gives each instance")
        }
        if let otlpText { configuration.otlpEndpoint = try otlpEndpoint(otlpText) }
        if topology.mesh.mtls != .disabled {
            configuration.certificateAuthority = try certificateAuthority(for: topology, file: file, directory: caDirectory)
        }
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

    /// `--otlp-endpoint`'s URL, checked (`up` checks it with this too, before anything starts).
    static func otlpEndpoint(_ text: String) throws(UsageError) -> OTLPEndpoint {
        do {
            return try OTLPEndpoint(parsing: text)
        } catch {
            throw UsageError("--otlp-endpoint: \(error.message)")
        }
    }

    /// The CA of an mTLS topology (see the type's comment).
    private static func certificateAuthority(for topology: Topology, file: String, directory: String?) throws(UsageError) -> CertificateAuthority {
        guard let secret = ProcessInfo.processInfo.environment["MESHBED_CA_SECRET"], secret.utf8.count >= 32 else {
            throw UsageError("MESHBED_CA_SECRET: missing or shorter than 32 characters (the secret of the sidecars' bootstrap tokens; 'meshbed up' sets it)")
        }
        do throws(ControlError) {
            let issuer: CertificateIssuer
            if let pinned = topology.mesh.ca {
                let base = PathText.deletingLastComponent(file)
                func resolve(_ path: String) -> String { path.hasPrefix("/") || base.isEmpty ? path : base + "/" + path }
                issuer = try CertificateAuthority.loadRoot(certificateFile: resolve(pinned.cert), keyFile: resolve(pinned.key))
            } else if let directory {
                issuer = try CertificateAuthority.loadOrCreateRoot(in: directory)
            } else {
                issuer = try CertificateAuthority.makeRoot()
            }
            // Workload certificates come from an intermediate made for this run (the root's key
            // signs once, then stays idle), as Istio's istiod signs with an intermediate; peers
            // trust the root alone and get the intermediate in each chain.
            // A pinned chain that ends in an intermediate already signs with it.
            guard issuer.intermediates.isEmpty else { return CertificateAuthority(issuer: issuer, topology: topology, secret: secret) }
            let intermediate: CertificateIssuer
            do {
                intermediate = try issuer.issueIntermediate(commonName: "meshbed \(topology.name) intermediate", lifetime: .seconds(365 * 86_400))
            } catch {
                throw ControlError.badRequest("mesh root: could not make an intermediate: \(error)")
            }
            return CertificateAuthority(issuer: intermediate, topology: topology, secret: secret)
        } catch {
            throw UsageError(error.message)
        }
    }
}
