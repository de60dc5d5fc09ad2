import MeshIO

/// `meshbed exec-app [--dir DIR] -- COMMAND ARGS...` (internal): how the orchestrator starts
/// a user's own app. It changes to DIR (the topology file's directory) and replaces itself
/// with COMMAND, so the app keeps the pid, environment and parent-death signal this process
/// set up (`MESHBED_SUPERVISOR_PID`): it dies with its supervisor like every other process.
enum ExecAppCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "exec-app")
        let directory = try scanner.option("--dir")
        let command = scanner.positionals()
        try scanner.finish()
        guard let program = command.first, !program.isEmpty else { throw UsageError("exec-app: missing the command (meshbed exec-app -- COMMAND ARGS...)") }
        if let directory {
            do {
                try Posix.changeDirectory(directory)
            } catch {
                Posix.writeAll(2, Array("meshbed exec-app: --dir \(directory): \(error)\n".utf8))
                return 126
            }
        }
        let error = Posix.execute(program, Array(command.dropFirst()))
        Posix.writeAll(2, Array("meshbed exec-app: \(program): \(error)\n".utf8))
        return error.code == 2 ? 127 : 126  // ENOENT: as a shell reports a missing command
    }
}
