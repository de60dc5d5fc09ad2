// Commands run to their end: a short-lived tool (`ip`, `iptables`, `podman`) started,
// waited for with a deadline, and what it wrote read back. Part of the `Posix` facade.

import Glibc

/// How a command run to its end went: its status (nil: it did not end in time and was
/// killed) and what it wrote to standard output and standard error, interleaved.
public struct CommandResult: Sendable, Equatable {
    public var status: ChildStatus?
    public var output: String

    public init(status: ChildStatus?, output: String) {
        self.status = status
        self.output = output
    }

    /// Whether it exited with status 0.
    public var succeeded: Bool { status == .exited(0) }

    /// `ip exited with status 2: RTNETLINK answers: File exists` (the output's first line,
    /// and its last when that is another: tools put the error first or last).
    public func failure(_ program: String) -> String {
        let lines = output.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }
        var said = lines.first.map { ": " + $0 } ?? ""
        if let last = lines.last, lines.count > 1 { said += " … " + last }
        return "\(program) \(status.map(\.description) ?? "did not end in time")\(said)"
    }
}

extension Posix {
    /// This process's effective user id (0: root).
    public static func effectiveUserID() -> UInt32 { geteuid() }

    /// Whether `program` is an executable file in one of `directories`: the first such path.
    public static func findExecutable(_ program: String, in directories: [String]) -> String? {
        directories.map { $0 + "/" + program }.first { access($0, X_OK) == 0 }
    }

    /// Runs `executable` (looked up in `PATH` unless it has a `/`) with `arguments` until
    /// it ends, at most `timeoutNanoseconds` (then SIGKILL). Standard input is `input`;
    /// standard output and error go to a private temporary file, read back (64 KiB at most).
    /// Only for a thread that reaps no other children meanwhile (`reapAny`).
    public static func runCommand(_ executable: String, _ arguments: [String], environment: [String], input: [UInt8] = [],
                                  timeoutNanoseconds: UInt64) throws(IOError) -> CommandResult {
        try runCommands([(executable, arguments)], environment: environment, input: input, timeoutNanoseconds: timeoutNanoseconds)[0]
    }

    /// Runs every command at once (as `runCommand` runs one) and waits for them all, at most
    /// `timeoutNanoseconds` in all; their results in the same order.
    public static func runCommands(_ commands: [(executable: String, arguments: [String])], environment: [String], input: [UInt8] = [],
                                   timeoutNanoseconds: UInt64) throws(IOError) -> [CommandResult] {
        var paths: [String] = []
        defer { for path in paths { unlink(path) } }
        var pids: [Int32] = []
        defer {
            // A spawn that failed half way: what did start is not left running.
            for pid in pids where reap(pid) == nil {
                sendSignal(ProcessSignal.kill, to: pid)
                while reap(pid) == nil { sleep(nanoseconds: 1_000_000) }
            }
        }
        for command in commands {
            let path = try temporaryFile(containing: [])
            paths.append(path)
            let inputPath = try temporaryFile(containing: input)
            paths.append(inputPath)
            pids.append(try spawn(SpawnRequest(executable: command.executable, arguments: command.arguments, environment: environment,
                                               outputPath: path, inputPath: inputPath)))
        }
        let deadline = monotonicNanoseconds() &+ timeoutNanoseconds
        var statuses = [ChildStatus?](repeating: nil, count: pids.count)
        var pause: UInt64 = 200_000
        while true {
            for index in pids.indices where statuses[index] == nil { statuses[index] = reap(pids[index]) }
            if !statuses.contains(where: { $0 == nil }) || monotonicNanoseconds() >= deadline { break }
            sleep(nanoseconds: pause)
            pause = min(pause * 2, 10_000_000)
        }
        for index in pids.indices where statuses[index] == nil {
            sendSignal(ProcessSignal.kill, to: pids[index])
            while reap(pids[index]) == nil { sleep(nanoseconds: 1_000_000) }
        }
        pids = []
        return statuses.indices.map { index in
            let output = readFile(paths[2 * index], limit: 64 * 1024).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return CommandResult(status: statuses[index], output: output)
        }
    }

    /// A new private file (mode 0600) in /tmp holding `bytes`; its path.
    private static func temporaryFile(containing bytes: [UInt8]) throws(IOError) -> String {
        var template = Array("/tmp/meshbed-command-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw IOError(code: errno(), function: "mkstemp") }
        defer { close(descriptor) }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        writeAll(descriptor, bytes)
        return path
    }
}
