import Foundation
import Glibc
import MeshTestSupport
import Testing

/// Runs real processes for end-to-end tests: the built `meshbed` binary and real peers
/// (curl, python3, wrk). Every process started here is killed when the test ends.
final class Harness: @unchecked Sendable {
    private var processes: [Process] = []

    deinit {
        for process in processes where process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// The `meshbed` executable next to the test bundle.
    static var meshbed: String {
        var url = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = url.appendingPathComponent("meshbed").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            url.deleteLastPathComponent()
        }
        return ".build/debug/meshbed"
    }

    /// The index of running topologies every meshbed started here uses unless a test names
    /// its own (`MESHBED_INDEX_DIR`): tests never touch the developer's index.
    /// Removed when the test process exits (every topology the tests start is down by then).
    static let index: String = {
        atexit { try? FileManager.default.removeItem(atPath: Harness.indexPath(of: getpid())) }
        return indexPath(of: getpid())
    }()

    private static func indexPath(of pid: Int32) -> String { NSTemporaryDirectory() + "meshbed-e2e-index-\(pid)" }

    /// `environment` over this process's, with the tests' index unless it names one.
    static func childEnvironment(_ environment: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(["MESHBED_INDEX_DIR": index]) { $1 }.merging(environment) { $1 }
    }

    /// Whether `tool` is on PATH.
    static func has(_ tool: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
        }
    }

    /// Starts `meshbed echo` on a free port and returns its address once it listens.
    func startEcho(_ extra: [String] = []) throws -> (address: String, process: Process) {
        let (process, lines) = try startBackground(Harness.meshbed, ["echo", "--port", "0"] + extra)
        guard let line = lines.first(within: 10, where: { $0.contains("listening on ") }) else {
            throw HarnessError("meshbed echo did not report its address")
        }
        return (String(line.split(separator: " ").last!), process)
    }

    /// Starts a long-running process; its stdout lines arrive in the returned stream.
    func startBackground(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (Process, LineStream) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = Harness.childEnvironment(environment)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let lines = LineStream()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { lines.append(data) }
        }
        try process.run()
        processes.append(process)
        return (process, lines)
    }

    /// Runs a command to completion (killed after `timeout` seconds) and returns its output.
    @discardableResult
    static func run(
        _ executable: String, _ arguments: [String], input: Data? = nil, timeout: Double = 60, environment: [String: String] = [:],
        directory: String? = nil
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        process.environment = Harness.childEnvironment(environment)
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        let writer = Thread {
            if let input { stdin.fileHandleForWriting.write(input) }
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let timer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timer.cancel()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// A /proc file read to its end (they report size 0 and come a page at a time,
    /// which `String(contentsOfFile:)` does not always follow).
    static func readProc(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }

    /// True when some established connection to local `port` exists and every one of them
    /// has an empty receive queue: the server has read all that was sent to it.
    static func serverConsumedAll(port: Int) -> Bool {
        let hex = String(port, radix: 16, uppercase: true)
        let hexPort = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        var found = false
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = readProc(table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 4, fields[1].hasSuffix(":" + hexPort), fields[3] == "01" else { continue }
                found = true
                let rx = fields[4].split(separator: ":").last.flatMap { Int($0, radix: 16) } ?? 1
                if rx != 0 { return false }
            }
        }
        return found
    }

    /// Runs a Python 3 script with arguments.
    static func python(_ script: String, _ arguments: [String] = [], timeout: Double = 60) throws -> (status: Int32, stdout: String, stderr: String) {
        try run("python3", ["-c", script] + arguments, timeout: timeout)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Lines of a process's output, collected as they arrive.
final class LineStream: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()
    private var lines: [String] = []

    func append(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        buffer.append(data)
        while let newline = buffer.firstIndex(of: 10) {
            lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
            buffer = Data(buffer[(newline + 1)...])
        }
    }

    /// The first line matching `predicate`, waiting up to `seconds` for it.
    func first(within seconds: Double, where predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            lock.lock()
            let match = lines.first(where: predicate)
            lock.unlock()
            if let match { return match }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return nil
    }
}
