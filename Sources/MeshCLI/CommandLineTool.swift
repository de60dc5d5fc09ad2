import MeshIO

/// The `meshbed` command: picks the subcommand and turns every failure into one line and an exit status.
public enum CommandLineTool {
    /// Subcommands of the contract (SPEC §2) that later work adds.
    static let planned = ["image"]

    /// Runs `arguments` (without the program name) and returns the exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        Posix.ignoreSIGPIPE()
        guard Posix.followSupervisor() else { return 1 }
        guard let name = arguments.first else {
            printError(UsageError("missing command; try 'meshbed help' for the usage").description)
            return UsageError.exitCode
        }
        do {
            return try dispatch(name, Array(arguments.dropFirst()))
        } catch {
            if error.helpFlags != nil, let help = CommandHelp.named(name) {
                Posix.writeAll(1, Array(help.text.utf8))
                return 0
            }
            printError(error.description)
            return UsageError.exitCode
        }
    }

    /// Subcommands that serve or open many connections at once.
    static let connectionHeavy: Set<String> = ["echo", "load", "proxy", "control"]

    /// Runs subcommand `name` with `rest`. Throws usage errors, and `UsageError.helpRequested`
    /// when `rest` asks for help.
    static func dispatch(_ name: String, _ rest: [String]) throws(UsageError) -> Int32 {
        // Processes that hold many connections: their connection limit follows the hard
        // descriptor limit, not the shell's default soft limit of 1024.
        if connectionHeavy.contains(name) { Posix.raiseOpenFileLimit() }
        switch name {
        case "echo": return try EchoCommand.run(rest)
        case "load": return try LoadCommand.run(rest)
        case "demo": return try DemoCommand.run(rest)
        case "up": return try UpCommand.run(rest)
        case "down": return try DownCommand.run(rest)
        case "route": return try RouteCommand.run(rest)
        case "mtls": return try MTLSCommand.run(rest)
        case "telemetry": return try TelemetryCommand.run(rest)
        case "image": return try ImageCommand.run(rest)
        case "fault": return try FaultCommand.run(rest)
        case "status": return try StatusCommand.run(rest)
        case "logs": return try LogsCommand.run(rest)
        case "trace": return try TraceCommand.run(rest)
        case "validate": return try ValidateCommand.run(rest)
        case "run": return try RunCommand.run(rest)
        case "test": return try TestCommand.run(rest)
        case "exec-app": return try ExecAppCommand.run(rest)
        case "infra": return try InfraCommand.run(rest)
        case "proxy": return try ProxyCommand.run(rest)
        case "control": return try ControlCommand.run(rest)
        case "help": return try help(rest)
        case "--help", "-h":
            Posix.writeAll(1, Array(CommandHelp.global.utf8))
            return 0
        default:
            if planned.contains(name) {
                throw UsageError("'meshbed \(name)' is not available in this build yet")
            }
            throw UsageError("unknown command '\(name)'\(suggestion(for: name)); try 'meshbed help'")
        }
    }

    /// `meshbed help [COMMAND]`.
    static func help(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "help")
        let topics = scanner.positionals()
        try scanner.finish()
        guard let topic = topics.first else {
            Posix.writeAll(1, Array(CommandHelp.global.utf8))
            return 0
        }
        guard topics.count == 1 else { throw UsageError("help: expected one COMMAND, got \(topics.count)") }
        guard let help = CommandHelp.named(topic) else {
            throw UsageError("help: unknown command '\(topic)'\(suggestion(for: topic)); try 'meshbed help'")
        }
        Posix.writeAll(1, Array(help.text.utf8))
        return 0
    }

    /// ` (did you mean 'echo'?)` for a command name within edit distance 2, else "".
    static func suggestion(for name: String) -> String {
        CommandHelp.all.map(\.name).first { ArgumentScanner.editDistance($0, name) <= 2 }.map { " (did you mean '\($0)'?)" } ?? ""
    }

    static func printError(_ line: String) {
        Posix.writeAll(2, Array((line.hasSuffix("\n") ? line : line + "\n").utf8))
    }
}
