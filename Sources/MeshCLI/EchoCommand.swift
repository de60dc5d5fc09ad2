import MeshCore
import MeshEcho
import MeshHTTPIO
import MeshIO

/// `meshbed echo`: runs one echo app in the foreground until SIGINT or SIGTERM.
enum EchoCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "echo")
        let port = try scanner.intOption("--port", range: 0...65535) ?? 8080
        let bind = try scanner.option("--bind") ?? "127.0.0.1"
        let service = try scanner.option("--service") ?? "echo"
        let version = try scanner.option("--version") ?? "v1"
        let instance = try scanner.option("--instance")
        let errorRate = try scanner.percentOption("--error-rate") ?? 0
        let latency = try scanner.durationOption("--latency") ?? .zero
        let threads = try scanner.intOption("--threads", range: 1...256)
        let seed = try scanner.option("--seed", parse: { UInt64($0) }, expected: "an unsigned integer")
        let calls = try scanner.options("--call").flatMap { $0.split(separator: ",").map(String.init) }
        let outbound = try scanner.option("--outbound", parse: { SocketAddress($0) }, expected: "an address such as 127.0.0.1:15001")
        let headerTimeout = try scanner.durationOption("--header-timeout") ?? .seconds(10)
        let idleTimeout = try scanner.durationOption("--idle-timeout") ?? .seconds(60)
        let maxConnections = try scanner.intOption("--max-connections", range: 1...16_777_216)
        try scanner.finish()
        try NameRules.check(service, flag: "--service")
        try NameRules.check(version, flag: "--version")
        if let instance { try NameRules.check(instance, flag: "--instance") }
        for call in calls { try NameRules.check(call, flag: "--call") }
        if !calls.isEmpty, outbound == nil { throw UsageError("--call needs --outbound ADDRESS (the sidecar's outbound port)") }
        guard let address = SocketAddress(host: bind, port: port) else {
            throw UsageError("--bind: expected a numeric address such as 127.0.0.1 or ::1, got '\(bind)'")
        }

        var configuration = EchoConfiguration(
            service: service, version: version, instance: instance, errorRate: errorRate,
            latency: UInt64(latency.meshbedNanoseconds), seed: seed ?? Posix.monotonicNanoseconds())
        configuration.calls = calls
        configuration.outbound = outbound
        // Signals are taken synchronously by this thread; block them before loops start.
        Posix.blockSignals([ProcessSignal.interrupt, ProcessSignal.terminate])
        let group: EventLoopGroup
        let server: EchoServer
        do {
            group = try EventLoopGroup(threads: threads)
            server = try EchoServer(configuration: configuration, address: address, group: group,
                                    serverConfiguration: HTTPServerConfiguration(
                                        headerTimeout: UInt64(max(headerTimeout, .milliseconds(1)).meshbedNanoseconds),
                                        idleTimeout: UInt64(max(idleTimeout, .milliseconds(1)).meshbedNanoseconds),
                                        maxConnections: maxConnections))
        } catch {
            throw UsageError("--port \(port): \(error.isAddressInUse ? "address already in use" : error.description)")
        }
        Posix.writeAll(1, Array("meshbed echo: \(configuration.instance) listening on \(server.address)\n".utf8))
        _ = Posix.waitForSignal([ProcessSignal.interrupt, ProcessSignal.terminate])
        server.shutdown()
        group.shutdown()
        return 0
    }
}

/// Names of services, versions and instances: `[a-z0-9-]+` as in the topology file (and
/// safe in headers).
enum NameRules {
    static func check(_ name: String, flag: String) throws(UsageError) {
        let valid = !name.isEmpty && name.utf8.count <= 63 && name.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F
        }
        if !valid {
            throw UsageError("\(flag): expected a name of lower-case letters, digits, '-', '.' or '_' (at most 63), got '\(name)'")
        }
    }
}
