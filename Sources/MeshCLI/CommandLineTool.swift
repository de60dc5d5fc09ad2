import MeshIO

/// The `meshbed` command: picks the subcommand and turns every failure into one line and an exit status.
public enum CommandLineTool {
    /// Subcommands that exist today.
    static let commands: [(name: String, summary: String)] = [
        ("echo", "run an echo app: meshbed echo --port P --service S --version V [--error-rate PCT] [--latency D] [--call SVC --outbound ADDR] [--max-connections N]"),
        ("load", "generate load: meshbed load --url URL [--requests N|--duration D] [--rate R] [--concurrency C] [--json]"),
        ("proxy", "run a sidecar: meshbed proxy --instance ID --service S --control ADDR --app PORT [--inbound P --outbound P --admin P] [--max-connections N] (or --gateway --port P)"),
        ("control", "run the control plane: meshbed control --topology FILE --port P [--bind 127.0.0.1] [--hold 20s]"),
        ("demo", "a guided tour: echo apps on loopback driven by the load generator"),
        ("up", "launch a topology: meshbed up FILE [--detach] [--runtime process|netns] [--state-dir DIR] [--seed N]"),
        ("down", "stop a topology: meshbed down [NAME] [--state-dir DIR]"),
        ("status", "show a topology: meshbed status [NAME] [--json] [--state-dir DIR]"),
        ("validate", "check topology and scenario files: meshbed validate FILE..."),
        ("run", "run scenarios: meshbed run FILE... [--junit F] [--json F] [--state-dir DIR]"),
        ("test", "run every scenario under DIR: meshbed test DIR [--junit F] [--json F] [--state-dir DIR]"),
        ("help", "show this help"),
    ]

    /// Subcommands of the contract (SPEC §2) that later work adds.
    static let planned = ["fault"]

    /// Runs `arguments` (without the program name) and returns the exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        Posix.ignoreSIGPIPE()
        guard Posix.followSupervisor() else { return 1 }
        guard let name = arguments.first else {
            printError(UsageError("missing command; try 'meshbed help' for the usage").description)
            return UsageError.exitCode
        }
        let rest = Array(arguments.dropFirst())
        do {
            switch name {
            case "echo": return try EchoCommand.run(rest)
            case "load": return try LoadCommand.run(rest)
            case "demo": return try DemoCommand.run(rest)
            case "up": return try UpCommand.run(rest)
            case "down": return try DownCommand.run(rest)
            case "status": return try StatusCommand.run(rest)
            case "validate": return try ValidateCommand.run(rest)
            case "run": return try RunCommand.run(rest)
            case "test": return try TestCommand.run(rest)
            case "exec-app": return try ExecAppCommand.run(rest)
            case "proxy": return try ProxyCommand.run(rest)
            case "control": return try ControlCommand.run(rest)
            case "help", "--help", "-h":
                Posix.writeAll(1, Array(usage().utf8))
                return 0
            default:
                if planned.contains(name) {
                    throw UsageError("'meshbed \(name)' is not available in this build yet")
                }
                let names = commands.map(\.name)
                let hint = names.first { ArgumentScanner.editDistance($0, name) <= 2 }.map { " (did you mean '\($0)'?)" } ?? ""
                throw UsageError("unknown command '\(name)'\(hint); try 'meshbed help'")
            }
        } catch let error as UsageError {
            printError(error.description)
            return UsageError.exitCode
        } catch {
            printError("meshbed: \(error)")
            return UsageError.exitCode
        }
    }

    static func usage() -> String {
        var text = "usage: meshbed COMMAND [OPTIONS]\n\ncommands:\n"
        for command in commands { text += "  \(command.name + String(repeating: " ", count: max(0, 6 - command.name.count))) \(command.summary)\n" }
        return text
    }

    static func printError(_ line: String) {
        Posix.writeAll(2, Array((line.hasSuffix("\n") ? line : line + "\n").utf8))
    }
}
