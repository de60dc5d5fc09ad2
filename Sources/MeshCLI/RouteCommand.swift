import MeshConfig
import MeshCore
import MeshIO
import MeshOrchestrator

/// `meshbed route set SERVICE --split v1=50,v2=50`: replaces a destination's routes on a
/// running topology, live, and waits until every sidecar applied them. Exit 0 applied, 1
/// not applied by every sidecar in time (or the control plane did not answer), 2 bad input.
enum RouteCommand {
    /// What `route set` was asked to do.
    struct Request: Equatable {
        var service: String
        /// The new routes: one (`--split`, narrowed by `--header`/`--path-prefix`), or none (`--clear`).
        var routes: [RouteConfig]
        var topology: String?
        var stateDirectory: String?
        var timeout: Duration
    }

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let request = try parse(arguments)
        let (state, control) = try RunningMesh.locate(request.topology, stateDirectory: request.stateDirectory,
                                                      command: "route set", noMesh: ": it has no routes")
        try check(request, against: state)
        do {
            let applied = try LiveRoutes.apply(request.routes, to: request.service, control: control, timeout: request.timeout)
            Posix.writeAll(1, Array("\(request.service): \(applied.summary)\n".utf8))
            return 0
        } catch {
            CommandLineTool.printError("meshbed: route set \(request.service): \(error.message)")
            return error.exitCode
        }
    }

    /// Reads the arguments of `route` (`set SERVICE` and the flags) without touching any topology.
    static func parse(_ arguments: [String]) throws(UsageError) -> Request {
        var scanner = ArgumentScanner(arguments, command: "route")
        let splitText = try scanner.option("--split")
        let clear = scanner.flag("--clear")
        let headerTexts = try scanner.options("--header")
        let pathPrefix = try scanner.option("--path-prefix")
        let topology = try scanner.option("--topology")
        let stateDirectory = try scanner.option("--state-dir")
        let timeout = try scanner.durationOption("--timeout") ?? LiveRoutes.defaultTimeout
        let words = scanner.positionals()
        try scanner.finish()

        guard let verb = words.first else { throw UsageError("route: expected 'set SERVICE'; try 'meshbed route --help'") }
        guard verb == "set" else { throw UsageError("route: unknown subcommand '\(verb)' (expected 'set SERVICE')") }
        guard words.count == 2 else {
            throw UsageError(words.count < 2 ? "route set: missing SERVICE" : "route set: expected one SERVICE, got \(words.count - 1)")
        }
        let service = words[1]
        try NameRules.check(service, flag: "SERVICE")
        if let topology { try NameRules.check(topology, flag: "--topology") }
        if timeout <= .zero { throw UsageError("--timeout: must be above 0") }

        var routes: [RouteConfig] = []
        switch (splitText, clear) {
        case (nil, false): throw UsageError("route set: give --split V=WEIGHT,... (or --clear)")
        case (.some, true): throw UsageError("--split and --clear exclude each other")
        case (nil, true):
            if !headerTexts.isEmpty || pathPrefix != nil { throw UsageError("--clear takes no --header or --path-prefix") }
        case (.some(let text), false):
            var headers: [String: String] = [:]
            for text in headerTexts {
                let (name, value) = try header(text)
                guard headers.updateValue(value, forKey: name.lowercased()) == nil else {
                    throw UsageError("--header: '\(name)' is given twice")
                }
            }
            if let pathPrefix, !pathPrefix.hasPrefix("/") || !pathPrefix.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
                throw UsageError("--path-prefix: expected a path starting with '/' without spaces, got '\(pathPrefix)'")
            }
            let split = try parseSplit(text)
            routes = [RouteConfig(headers: headers, pathPrefix: pathPrefix, split: Dictionary(uniqueKeysWithValues: split.map { ($0.version, $0.weight) }))]
        }
        return Request(service: service, routes: routes, topology: topology, stateDirectory: stateDirectory, timeout: timeout)
    }

    /// `v1=90,v2=10`: versions with integer weights 0–100 that sum to 100, in the order written.
    static func parseSplit(_ text: String) throws(UsageError) -> [(version: String, weight: Int)] {
        var split: [(version: String, weight: Int)] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw UsageError("--split: expected VERSION=WEIGHT,... such as v1=90,v2=10, got '\(text)'")
            }
            let version = String(parts[0]).trimmingSpaces()
            guard let weight = Int(String(parts[1]).trimmingSpaces()), (0...100).contains(weight) else {
                throw UsageError("--split: the weight of '\(version)' must be an integer 0–100, got '\(parts[1])'")
            }
            guard !split.contains(where: { $0.version == version }) else { throw UsageError("--split: version '\(version)' is given twice") }
            split.append((version, weight))
        }
        let sum = split.reduce(0) { $0 + $1.weight }
        guard sum == 100 else { throw UsageError("--split: weights sum to \(sum), expected 100") }
        return split
    }

    /// `NAME:VALUE` (as `load --header`) or `NAME=VALUE`: split at the first `:` or `=`,
    /// neither of which a header name can contain.
    static func header(_ text: String) throws(UsageError) -> (name: String, value: String) {
        guard let separator = text.firstIndex(where: { $0 == ":" || $0 == "=" }), separator != text.startIndex else {
            throw UsageError("--header: expected NAME:VALUE, got '\(text)'")
        }
        let name = String(text[..<separator])
        let value = String(text[text.index(after: separator)...]).trimmingSpaces()
        guard name.utf8.allSatisfy(HeaderSyntax.isTokenByte), value.utf8.allSatisfy(HeaderSyntax.isValueByte) else {
            throw UsageError("--header: invalid header name or value in '\(text)'")
        }
        return (name, value)
    }

    /// The service and every version the split names must exist in the running topology
    /// (every version has at least one instance, so the instances list them all).
    static func check(_ request: Request, against state: MeshState) throws(UsageError) {
        let instances = state.instances.filter { $0.service == request.service }
        guard !instances.isEmpty else {
            var services: [String] = []
            for instance in state.instances where !services.contains(instance.service) { services.append(instance.service) }
            throw UsageError("route set: no service '\(request.service)' in topology '\(state.name)' (services: \(services.joined(separator: ", ")))")
        }
        var versions: [String] = []
        for instance in instances where !versions.contains(instance.version) { versions.append(instance.version) }
        for route in request.routes {
            for version in route.split.keys.sorted() where !versions.contains(version) {
                throw UsageError("--split: unknown version '\(version)' of service '\(request.service)' (versions: \(versions.joined(separator: ", ")))")
            }
        }
    }
}
