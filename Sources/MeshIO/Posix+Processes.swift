// Processes: spawning children, signalling them and their process groups, reaping them,
// and reading what /proc says about any process. Part of the `Posix` facade, the one
// door to the kernel (System.swift).

import CMeshbedShims
import Glibc

extension ProcessSignal {
    /// SIGKILL.
    public static let kill = SIGKILL
    /// SIGHUP (the terminal went away).
    public static let hangup = SIGHUP
    /// SIGSTOP (freeze a process: a scenario's `pause`).
    public static let stop = SIGSTOP
    /// SIGCONT (thaw it: `resume`).
    public static let resume = SIGCONT
    /// SIGUSR1 (a supervisor has requests waiting in its state directory, e.g. a restart).
    public static let userDefined1 = SIGUSR1
    /// SIGCHLD (a child ended: a supervisor waits for it to reap at once).
    public static let childEnded = SIGCHLD

    /// `SIGTERM`, `SIGKILL`, ... or `signal N` for the rare ones.
    public static func name(of signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
            SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
            SIGCHLD: "SIGCHLD", SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", SIGXCPU: "SIGXCPU", SIGSYS: "SIGSYS",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}

extension Posix {
    /// glibc's `POSIX_SPAWN_SETSID` (2.26+), which Swift's Glibc module does not export.
    private static let spawnSetSID: Int32 = 0x80

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), looked up at run time
    /// because Swift's Glibc module does not export it; nil on an older C library.
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            return nil
        }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// Starts `request` with `posix_spawn` and returns the child's pid. Throws when the
    /// program cannot be started (ENOENT, EACCES, ...): the C library reports a failed
    /// exec as the call's error.
    public static func spawn(_ request: SpawnRequest) throws(IOError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        // Strings the file actions and argv point at live until the call returns.
        var owned: [UnsafeMutablePointer<CChar>] = []
        defer { owned.forEach { free($0) } }
        func copy(_ text: String) -> UnsafeMutablePointer<CChar> {
            let pointer = strdup(text)!
            owned.append(pointer)
            return pointer
        }

        posix_spawn_file_actions_addopen(&actions, 0, copy(request.inputPath ?? "/dev/null"), O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, copy(request.outputPath ?? "/dev/null"),
                                         O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let passed = request.passedDescriptor {
            precondition(passed > 3, "SpawnRequest.passedDescriptor must be above 3, got \(passed)")
            posix_spawn_file_actions_adddup2(&actions, passed, 3)  // dup2 clears close-on-exec
            if let addCloseFrom { _ = addCloseFrom(&actions, 4) }
        } else if let addCloseFrom {
            _ = addCloseFrom(&actions, 3)
        }

        var flags = Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)
        if request.newSession {
            flags |= spawnSetSID  // a session leader leads its own process group too
        } else if request.newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var argv: [UnsafeMutablePointer<CChar>?] = ([request.executable] + request.arguments).map { copy($0) }
        argv.append(nil)
        var envp: [UnsafeMutablePointer<CChar>?] = request.environment.map { copy($0) }
        envp.append(nil)

        var pid: pid_t = 0
        let result: Int32
        if request.executable.contains("/") {
            result = posix_spawn(&pid, request.executable, &actions, &attributes, &argv, &envp)
        } else {
            // posix_spawnp searches the caller's PATH, which is what a user expects of `python3`.
            result = posix_spawnp(&pid, request.executable, &actions, &attributes, &argv, &envp)
        }
        guard result == 0 else { throw IOError(code: result, function: "posix_spawn \(request.executable)") }
        return pid
    }

    /// Replaces this process with `program` (looked up in `PATH` unless it has a `/`) and
    /// `arguments` (after `argv[0]`), keeping the environment. Returns only on failure.
    public static func execute(_ program: String, _ arguments: [String]) -> IOError {
        var argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) }
        argv.append(nil)
        defer { argv.forEach { free($0) } }
        execvp(program, &argv)
        return IOError(code: errno(), function: "exec \(program)")
    }

    /// Changes the working directory.
    public static func changeDirectory(_ path: String) throws(IOError) {
        _ = try call("chdir") { chdir(path) }
    }

    /// Sends `signal` to `pid`; false when there is no such process (or it is not ours to signal).
    @discardableResult
    public static func sendSignal(_ signal: Int32, to pid: Int32) -> Bool {
        pid > 0 && Glibc.kill(pid, signal) == 0
    }

    /// Sends `signal` to every process of the group `group`; false when the group is empty.
    @discardableResult
    public static func sendSignal(_ signal: Int32, toGroup group: Int32) -> Bool {
        group > 1 && Glibc.kill(-group, signal) == 0
    }

    /// Reaps `pid` if it has ended (never blocks): its status, or nil while it runs.
    /// A pid that is not our child (or already reaped) reads as nil too.
    public static func reap(_ pid: Int32) -> ChildStatus? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return ChildStatus(waitStatus: status) }
            if result < 0 && errno() == EINTR { continue }
            return nil
        }
    }

    /// Reaps one ended child, any of them (never blocks): its pid and status, or nil.
    public static func reapAny() -> (pid: Int32, status: ChildStatus)? {
        var status: Int32 = 0
        while true {
            let result = waitpid(-1, &status, WNOHANG)
            if result > 0, let decoded = ChildStatus(waitStatus: status) { return (result, decoded) }
            if result > 0 { continue }
            if result < 0 && errno() == EINTR { continue }
            return nil
        }
    }

    /// Whether `pid` runs, is a zombie or is gone, from `/proc/PID/stat`.
    public static func liveness(of pid: Int32) -> ProcessLiveness {
        guard let fields = statFields(of: pid), let state = fields.first?.first else { return .gone }
        return state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") ? .zombie : .running
    }

    /// Whether `pid` is stopped by a signal (SIGSTOP: state `T` in `/proc/PID/stat`).
    public static func isStopped(_ pid: Int32) -> Bool {
        statFields(of: pid)?.first?.first == UInt8(ascii: "T")
    }

    /// When `pid` started, in clock ticks since boot (`/proc/PID/stat` field 22), or nil
    /// when there is no such process. A pid and its start time name one process for good:
    /// a pid reused later by another process comes with a later start time.
    public static func startTime(of pid: Int32) -> UInt64? {
        guard let fields = statFields(of: pid), fields.count > 19 else { return nil }
        return UInt64(String(decoding: fields[19], as: UTF8.self))
    }

    /// The fields of `/proc/PID/stat` from field 3 (the state) on, or nil when there is no
    /// such process. `PID (COMM) S ...`: COMM may hold spaces and parentheses, so the
    /// fields start after the last ')'.
    private static func statFields(of pid: Int32) -> [ArraySlice<UInt8>]? {
        guard pid > 0, let bytes = readFile("/proc/\(pid)/stat", limit: 4096),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")), close + 2 < bytes.count
        else { return nil }
        return bytes[(close + 2)...].split(separator: UInt8(ascii: " "))
    }

    /// The initial environment of `pid` (`NAME=value` each), or nil when it cannot be read.
    public static func environment(of pid: Int32) -> [String]? {
        nulSeparated("/proc/\(pid)/environ")
    }

    /// The command line of `pid` (`argv`), or nil when it cannot be read.
    public static func commandLine(of pid: Int32) -> [String]? {
        nulSeparated("/proc/\(pid)/cmdline")
    }

    /// The ids of every process the kernel lists in /proc.
    public static func processIDs() -> [Int32] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var result: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let pid = Int32(name), pid > 0 { result.append(pid) }
        }
        return result
    }

    /// This process's id.
    public static func processID() -> Int32 { getpid() }

    /// The absolute path of the running executable (`/proc/self/exe`).
    public static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlink("/proc/self/exe", &buffer, 4096)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A whole file (up to `limit` bytes), or nil when it cannot be opened. Follows /proc
    /// files, which report size 0 and arrive a page at a time.
    public static func readFile(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while result.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno() == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    /// The bytes of a file from `offset` on (up to `limit`), or nil when it cannot be opened:
    /// what was appended to a log since it was last read.
    public static func readFile(_ path: String, from offset: Int, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while result.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress, $0.count, off_t(offset + result.count)) }
            if n < 0 && errno() == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    /// Waits up to `timeoutNanoseconds` for one of `signals` (blocked beforehand with
    /// `blockSignals`) and returns it, or nil when none arrived in time.
    public static func waitForSignal(_ signals: [Int32], timeoutNanoseconds: UInt64) -> Int32? {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        var timeout = timespec(tv_sec: Int(timeoutNanoseconds / 1_000_000_000), tv_nsec: Int(timeoutNanoseconds % 1_000_000_000))
        let result = sigtimedwait(&set, nil, &timeout)
        return result > 0 ? result : nil
    }

    /// Unblocks `signals` for the calling thread (undoes `blockSignals`).
    public static func unblockSignals(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    private static func nulSeparated(_ path: String) -> [String]? {
        guard let bytes = readFile(path) else { return nil }
        return bytes.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }
}
