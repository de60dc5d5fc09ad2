import MeshCore
import MeshIO
import MeshLoad
import MeshOrchestrator

/// `meshbed load`: the built-in load generator. Exit 0, 1 when no request succeeded (every
/// one failed or got a 5xx), 2 bad input, 3 no such target (no running topology, no such
/// service).
enum LoadCommand {
    /// The exit status when `--to`/`--from` names nothing that runs.
    static let noTargetExitCode: Int32 = 3

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "load")
        let url = try scanner.option("--url")
        let to = try scanner.option("--to")
        let from = try scanner.option("--from")
        let requests = try scanner.intOption("--requests", range: 1...Int.max)
        let duration = try scanner.durationOption("--duration")
        let rate = try scanner.option("--rate", parse: { Double($0).flatMap { $0 >= 0.01 && $0 <= 10_000_000 ? $0 : nil } },
                                      expected: "requests per second, from 0.01 to 10000000")
        let concurrency = try scanner.intOption("--concurrency", range: 1...100_000) ?? 8
        let threads = try scanner.intOption("--threads", range: 1...256)
        let timeout = try scanner.durationOption("--timeout")
        let method = try scanner.option("--method") ?? "GET"
        let headerTexts = try scanner.options("--header")
        let body = try scanner.option("--body")
        let json = scanner.flag("--json")
        let explain = scanner.flag("--explain")
        let stateDirectory = try scanner.option("--state-dir")
        let topology = try scanner.option("--topology")
        try scanner.finish()

        if requests != nil, duration != nil { throw UsageError("--requests and --duration exclude each other") }
        if let duration, duration <= .zero { throw UsageError("--duration: must be above 0") }
        guard method.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }), !method.isEmpty else {
            throw UsageError("--method: expected an upper-case method such as GET or POST, got '\(method)'")
        }
        let target: LoadTarget
        switch (url, to) {
        case (nil, nil): throw UsageError("give --url URL (or --to SERVICE with a running topology)")
        case (.some, .some): throw UsageError("--url and --to exclude each other")
        case (nil, .some(let service)):
            switch try meshTarget(to: service, from: from, topology: topology, stateDirectory: stateDirectory) {
            case .success(let found): target = found
            case .failure(let missing):
                CommandLineTool.printError(missing.description)
                return noTargetExitCode
            }
        case (.some(let url), nil):
            if from != nil { throw UsageError("--from goes with --to SERVICE, not with --url") }
            switch LoadTarget.parse(url: url) {
            case .success(let parsed): target = parsed
            case .failure(let error): throw UsageError("--url: \(error.message), got '\(url)'")
            }
        }
        var configuration = LoadConfiguration(target: target)
        configuration.method = method
        configuration.requests = requests
        configuration.duration = duration.map { UInt64($0.meshbedNanoseconds) }
        configuration.rate = rate
        configuration.concurrency = concurrency
        configuration.threads = threads
        configuration.explain = explain
        if let timeout { configuration.timeout = UInt64(timeout.meshbedNanoseconds) }
        if let body { configuration.body = Array(body.utf8) }
        for text in headerTexts {
            guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
                throw UsageError("--header: expected NAME:VALUE, got '\(text)'")
            }
            let name = String(text[..<colon])
            let value = String(text[text.index(after: colon)...]).trimmingSpaces()
            guard name.utf8.allSatisfy(HeaderSyntax.isTokenByte), value.utf8.allSatisfy(HeaderSyntax.isValueByte) else {
                throw UsageError("--header: invalid header name or value in '\(text)'")
            }
            configuration.headers.append((name, value))
        }

        let terminal = Posix.isTerminal(2)
        let result: LoadResult
        do {
            result = try LoadGenerator.run(configuration, progress: terminal ? { progress in
                let seconds = Double(progress.elapsed) / 1e9
                let rate = seconds > 0 ? Int(Double(progress.completed) / seconds) : 0
                Posix.writeAll(2, Array("\r\u{1B}[K  \(Int(seconds))s  \(progress.completed) done  \(rate) req/s".utf8))
            } : nil)
        } catch {
            throw UsageError("load: \(error)")
        }
        if terminal { Posix.writeAll(2, Array("\r\u{1B}[K".utf8)) }
        if json {
            Posix.writeAll(1, result.json(concurrency: concurrency, rate: rate))
        } else {
            Posix.writeAll(1, Array(result.text(concurrency: concurrency, rate: rate).utf8))
        }
        if result.successes == 0 {
            CommandLineTool.printError("meshbed load: no request succeeded (\(result.total) sent\(result.notSent > 0 ? ", \(result.notSent) not sent" : ""))")
            return 1
        }
        return 0
    }
}

extension LoadCommand {
    /// `--to SERVICE`: through the running topology's ingress, or with `--from CALLER`
    /// through that caller's sidecar (its first instance), so the source identity is real.
    /// A failure when nothing runs there to send to (exit 3); throws for bad input (exit 2).
    static func meshTarget(
        to service: String, from caller: String?, topology: String?, stateDirectory: String?
    ) throws(UsageError) -> Result<LoadTarget, UsageError> {
        let here = StateDirectory(stateDirectory ?? StateDirectory.defaultPath)
        let state: MeshState
        do {
            state = try RunningMesh.read(topology, stateDirectory: stateDirectory)
        } catch {
            // Several topologies and no --topology: a question for the user, not a missing target.
            if topology == nil, here.names().count > 1 { throw UsageError("--to \(service): \(error)") }
            return .failure(UsageError("--to \(service): \(error)"))
        }
        guard TopologyLauncher.isSupervising(state) else {
            return .failure(UsageError("--to \(service): topology '\(state.name)' is not running (start it with 'meshbed up')"))
        }
        guard state.instances.contains(where: { $0.service == service }) else {
            let known = Array(Set(state.instances.map(\.service))).sorted().joined(separator: ", ")
            return .failure(UsageError("--to: no service '\(service)' in topology '\(state.name)' (it has \(known))"))
        }
        let through: String?
        if let caller {
            guard let instance = state.instances.first(where: { $0.service == caller }) else {
                return .failure(UsageError("--from: no service '\(caller)' in topology '\(state.name)'"))
            }
            through = instance.outbound
        } else {
            through = state.ingress
        }
        guard let through, let address = SocketAddress(through) else {
            throw UsageError("--to \(service): topology '\(state.name)' runs without the mesh (up --no-mesh): use --url")
        }
        return .success(LoadTarget(address: address, hostHeader: service, path: "/"))
    }
}

/// Which bytes may appear in header names and values given on the command line.
enum HeaderSyntax {
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    static func isValueByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
