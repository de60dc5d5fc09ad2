import MeshCore
import MeshIO
import MeshProxy

/// `meshbed proxy`: a sidecar (or, with `--gateway`, the ingress) in the foreground
/// until SIGINT or SIGTERM.
enum ProxyCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "proxy")
        let gateway = scanner.flag("--gateway")
        let instance = try scanner.option("--instance")
        let service = try scanner.option("--service")
        let version = try scanner.option("--version") ?? "v1"
        let control = try scanner.option("--control", parse: { SocketAddress($0) }, expected: "an address such as 127.0.0.1:15000")
        let inbound = try scanner.intOption("--inbound", range: 0...65535)
        let outbound = try scanner.intOption("--outbound", range: 0...65535)
        let admin = try scanner.intOption("--admin", range: 0...65535) ?? 0
        let app = try scanner.intOption("--app", range: 1...65535)
        let appReady = try scanner.option("--app-ready") ?? "/"
        let bind = try scanner.option("--bind") ?? "127.0.0.1"
        let port = try scanner.intOption("--port", range: 0...65535)
        let threads = try scanner.intOption("--threads", range: 1...256) ?? 1
        let seed = try scanner.option("--seed", parse: { UInt64($0) }, expected: "an unsigned integer")
        let upstreamTimeout = try scanner.durationOption("--upstream-timeout")
        let bodyTimeout = try scanner.durationOption("--body-timeout")
        let maxConnections = try scanner.intOption("--max-connections", range: 1...16_777_216)
        try scanner.finish()

        guard let control else { throw UsageError("--control ADDRESS is required (the control plane)") }
        guard appReady.hasPrefix("/") else { throw UsageError("--app-ready: expected a path starting with '/', got '\(appReady)'") }
        // Every port on one address: loopback, or an instance's own in its network namespace (--runtime netns).
        guard SocketAddress(host: bind, port: 0) != nil else {
            throw UsageError("--bind: expected a numeric address such as 127.0.0.1 or 10.200.0.2, got '\(bind)'")
        }
        let loopback = bind
        var configuration: SidecarConfiguration
        if gateway {
            guard let port else { throw UsageError("--gateway needs --port (the ingress port; 0 for any)") }
            configuration = SidecarConfiguration(instance: instance ?? "ingress", service: "ingress", version: "v1",
                                                 control: control, adminAddress: SocketAddress(host: loopback, port: admin)!)
            configuration.gatewayAddress = SocketAddress(host: loopback, port: port)
        } else {
            guard let instance, let service else { throw UsageError("a sidecar needs --instance ID and --service NAME (or --gateway)") }
            guard let app else { throw UsageError("a sidecar needs --app PORT (its local app)") }
            try NameRules.check(service, flag: "--service")
            try NameRules.check(version, flag: "--version")
            try NameRules.check(instance, flag: "--instance")
            configuration = SidecarConfiguration(instance: instance, service: service, version: version,
                                                 control: control, adminAddress: SocketAddress(host: loopback, port: admin)!)
            configuration.inboundAddress = SocketAddress(host: loopback, port: inbound ?? 0)
            configuration.outboundAddress = SocketAddress(host: loopback, port: outbound ?? 0)
            configuration.app = SocketAddress(host: loopback, port: app)
            configuration.appReadyPath = appReady
        }
        configuration.threads = threads
        // 0 turns a limit off; anything else is at least a millisecond.
        func limit(_ flag: String, _ value: Duration?) throws(UsageError) -> UInt64? {
            guard let value else { return nil }
            let nanoseconds = value.meshbedNanoseconds
            guard nanoseconds == 0 || nanoseconds >= 1_000_000 else {
                throw UsageError("\(flag): expected 0 (no limit) or at least 1ms, got \(value.meshbedDescription)")
            }
            return UInt64(nanoseconds)
        }
        if let upstreamTimeout = try limit("--upstream-timeout", upstreamTimeout) { configuration.upstreamTimeout = upstreamTimeout }
        if let bodyTimeout = try limit("--body-timeout", bodyTimeout) { configuration.bodyTimeout = bodyTimeout }
        configuration.maxConnections = maxConnections
        configuration.seed = seed ?? Posix.monotonicNanoseconds()
        // From the environment, never a flag: command lines are readable by every user.
        configuration.bootstrapToken = Posix.environment("MESHBED_BOOTSTRAP_TOKEN")

        Posix.blockSignals([ProcessSignal.interrupt, ProcessSignal.terminate])
        let sidecar: Sidecar
        do {
            sidecar = try Sidecar(configuration)
        } catch {
            throw UsageError("proxy: \(error.isAddressInUse ? "a port is already in use" : error.description)")
        }
        let roles = sidecar.addresses.keys.sorted().map { "\($0) \(sidecar.addresses[$0]!)" }.joined(separator: ", ")
        Posix.writeAll(1, Array("meshbed proxy: \(configuration.instance) listening: \(roles)\n".utf8))
        _ = Posix.waitForSignal([ProcessSignal.interrupt, ProcessSignal.terminate])
        sidecar.shutdown()
        return 0
    }
}
