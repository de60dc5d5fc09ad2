import MeshCore
import MeshEcho
import MeshIO
import MeshLoad
import MeshOrchestrator

/// `meshbed demo`: a guided tour for a fresh checkout. First the bookinfo mesh (control
/// plane, sidecars, ingress) with traffic through it; then echo apps driven by the load
/// generator, closed and open loop. Everything it starts, it stops.
enum DemoCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "demo")
        let topology = try scanner.option("--topology") ?? "topologies/bookinfo.yaml"
        try scanner.finish()
        if Posix.fileExists(topology) {
            guard mesh(topology) else { return 3 }
        } else {
            say("(no \(topology) here: run the demo from the repository's top folder to see the mesh part)\n\n")
        }
        do {
            let group = try EventLoopGroup(threads: 1)
            defer { group.shutdown() }
            let any = SocketAddress("127.0.0.1:0")!
            let healthy = try EchoServer(configuration: EchoConfiguration(service: "reviews", version: "v1"), address: any, group: group)
            let flaky = try EchoServer(configuration: EchoConfiguration(service: "reviews", version: "v2", errorRate: 10, seed: 42),
                                       address: any, group: group)
            let slow = try EchoServer(configuration: EchoConfiguration(service: "ratings", version: "v1", latency: 20_000_000),
                                      address: any, group: group)
            defer {
                healthy.shutdown()
                flaky.shutdown()
                slow.shutdown()
            }

            say("""
            meshbed demo: three echo apps on loopback, driven by the built-in load generator.
              reviews v1 at \(healthy.address)  (healthy)
              reviews v2 at \(flaky.address)  (--error-rate 10: one request in ten gets a 500)
              ratings v1 at \(slow.address)  (--latency 20ms)

            """)
            try step("1. Closed loop: 8 connections, each sends its next request when the last is answered.",
                     url: "http://\(healthy.address)/", requests: 5000, concurrency: 8)
            try step("2. Injected errors: the status counts show the 500s, the version counts who answered.",
                     url: "http://\(flaky.address)/", requests: 2000, concurrency: 8)
            try step("3. Open loop at 100 req/s against a 20 ms service: latency is measured from when each request was due.",
                     url: "http://\(slow.address)/", duration: 2_000_000_000, rate: 100, concurrency: 4)
            try step("4. The same service, overloaded: 2 connections can serve 100 req/s, 200 are offered, so the queue grows and latency shows it.",
                     url: "http://\(slow.address)/", duration: 1_000_000_000, rate: 200, concurrency: 2)
            say("Try it yourself: meshbed echo --port 8080 & then curl 'localhost:8080/?delay=100ms&status=503'\n")
        } catch {
            throw UsageError("demo: \(error)")
        }
        return 0
    }

    /// Brings `file` up detached in a private state directory, sends traffic through its
    /// ingress, and tears it down. False when it could not start.
    private static func mesh(_ file: String) -> Bool {
        let directory = "/tmp/meshbed-demo-\(Posix.processID())"
        say("Part 1: the bookinfo mesh. One command starts a control plane, an echo app and a sidecar per\n"
            + "instance, and an ingress:\n  $ meshbed up \(file) --detach\n")
        var options = UpOptions(file: file, detach: true, stateDirectory: directory)
        options.tiedToCaller = true  // if the demo is killed, its mesh goes with it
        let status = TopologyLauncher.up(options)
        guard status == 0 else {
            say("the mesh did not start (exit \(status)); its logs are under \(directory)\n")
            return false
        }
        defer {
            // A demo leaves nothing behind: no process, and no state directory once it stopped cleanly.
            if TopologyStopper.down(name: nil, stateDirectory: directory) == 0 { StateDirectory(directory).removeAll() }
            say("\n")
        }
        guard let state = try? StateDirectory(directory).read("bookinfo") ?? nil, let ingress = state.ingress else { return false }
        say("\n")
        do {
            try step("Through the ingress to reviews: its route splits 34/33/33 over v1, v2 and v3 (v3 answers 20 ms late).",
                     url: "http://\(ingress)/", host: "reviews", requests: 600, concurrency: 4)
            try step("Through the ingress to productpage, which calls details and reviews through its own sidecar.",
                     url: "http://\(ingress)/", host: "productpage", requests: 600, concurrency: 4)
        } catch {
            say("load failed: \(error)\n")
            return false
        }
        say("To keep it running: meshbed up \(file)   (Ctrl-C stops it), then\n"
            + "  curl -H 'Host: productpage' http://INGRESS/   shows the whole call chain as JSON.\n\n"
            + "Part 2: the echo app and the load generator on their own.\n")
        return true
    }

    private static func step(_ title: String, url: String, host: String? = nil, requests: Int? = nil, duration: UInt64? = nil,
                             rate: Double? = nil, concurrency: Int) throws(IOError) {
        guard case .success(var target) = LoadTarget.parse(url: url) else { return }
        if let host { target.hostHeader = host }
        var configuration = LoadConfiguration(target: target)
        configuration.requests = requests
        configuration.duration = duration
        configuration.rate = rate
        configuration.concurrency = concurrency
        configuration.threads = 1
        let result = try LoadGenerator.run(configuration)
        var command = "meshbed load --url \(url)"
        if let host { command += " --header Host:\(host)" }
        if let requests { command += " --requests \(requests)" }
        if let duration { command += " --duration \(Duration.nanoseconds(Int64(duration)).meshbedDescription)" }
        if let rate { command += " --rate \(Int(rate))" }
        command += " --concurrency \(concurrency)"
        say("\(title)\n  $ \(command)\n" + result.text(concurrency: concurrency, rate: rate)
            .split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n\n")
    }

    private static func say(_ text: String) {
        Posix.writeAll(1, Array(text.utf8))
    }
}
