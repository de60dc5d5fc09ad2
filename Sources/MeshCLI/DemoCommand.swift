import MeshCore
import MeshEcho
import MeshIO
import MeshLoad

/// `meshbed demo`: a guided tour for a fresh checkout. Starts echo apps in this process
/// and drives them with the load generator, explaining each step.
enum DemoCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let scanner = ArgumentScanner(arguments, command: "demo")
        try scanner.finish()
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

    private static func step(_ title: String, url: String, requests: Int? = nil, duration: UInt64? = nil,
                             rate: Double? = nil, concurrency: Int) throws(IOError) {
        guard case .success(let target) = LoadTarget.parse(url: url) else { return }
        var configuration = LoadConfiguration(target: target)
        configuration.requests = requests
        configuration.duration = duration
        configuration.rate = rate
        configuration.concurrency = concurrency
        configuration.threads = 1
        let result = try LoadGenerator.run(configuration)
        var command = "meshbed load --url \(url)"
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
