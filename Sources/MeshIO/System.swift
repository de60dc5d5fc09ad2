// The one door to the kernel: every system call meshbed makes goes through
// this file. Each wrapper retries EINTR, reports EAGAIN/EINPROGRESS as a value
// the caller can act on, and throws `IOError` for everything else.

import CMeshbedShims
import Glibc

/// A failed system call: which call, and the errno it returned.
public struct IOError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The errno value.
    public let code: Int32
    /// The system call that failed.
    public let function: String

    public init(code: Int32, function: String) {
        self.code = code
        self.function = function
    }

    public var description: String {
        "\(function): \(reason)"
    }

    /// What the errno means, as strerror says it ("Permission denied").
    public var reason: String { String(cString: strerror(code)) }

    /// The address (port) is already taken by another listener.
    public var isAddressInUse: Bool { code == EADDRINUSE }
    /// The peer refused the connection (nothing listens there).
    public var isConnectionRefused: Bool { code == ECONNREFUSED }

    /// A failure of the protocol a stream carries rather than of the socket (a TLS handshake
    /// refused, garbage from the peer): EPROTO, with `reason` in place of the failed call.
    public static func protocolFailure(_ reason: String) -> IOError { IOError(code: EPROTO, function: reason) }
    /// Whether this is a `protocolFailure` (the reason is in `function`).
    public var isProtocolFailure: Bool { code == EPROTO }
    /// A connection reset on purpose (a fault stage's abortive close): ECONNRESET, with `reason`
    /// in place of the failed call.
    public static func connectionReset(_ reason: String) -> IOError { IOError(code: ECONNRESET, function: reason) }
    /// Whether the connection was reset (by the peer, or by a `connectionReset` of ours).
    public var isConnectionReset: Bool { code == ECONNRESET }
}

/// The signals meshbed handles, by name.
public enum ProcessSignal {
    /// SIGINT (Ctrl-C).
    public static let interrupt = SIGINT
    /// SIGTERM.
    public static let terminate = SIGTERM
}

/// The outcome of a non-blocking read or write.
public enum IOResult: Equatable, Sendable {
    /// This many bytes were transferred (0 on read means end of stream).
    case processed(Int)
    /// The socket is not ready; wait for readiness.
    case wouldBlock
}

/// Thin wrappers over the system calls meshbed uses.
public enum Posix {
    @inline(__always)
    static func errno() -> Int32 { meshbed_errno() }

    /// Runs `body` until it does not fail with EINTR; throws on other failures.
    @inline(__always)
    static func call<T: FixedWidthInteger>(_ function: StaticString, _ body: () -> T) throws(IOError) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno()
            if code == EINTR { continue }
            throw IOError(code: code, function: "\(function)")
        }
    }

    /// Like `call`, but maps EAGAIN/EWOULDBLOCK to `.wouldBlock`.
    @inline(__always)
    static func nonBlocking(_ function: StaticString, _ body: () -> Int) throws(IOError) -> IOResult {
        while true {
            let result = body()
            if result >= 0 { return .processed(result) }
            let code = errno()
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            throw IOError(code: code, function: "\(function)")
        }
    }

    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> IOResult {
        try nonBlocking("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    public static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(IOError) -> IOResult {
        // send with MSG_NOSIGNAL: a peer reset must surface as EPIPE, not kill the process.
        try nonBlocking("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    public static func close(_ fd: Int32) {
        // close is not retried on EINTR on Linux: the descriptor is released regardless.
        _ = Glibc.close(fd)
    }

    public static func shutdown(_ fd: Int32, how: Int32) throws(IOError) {
        _ = try call("shutdown") { Glibc.shutdown(fd, how) }
    }

    // MARK: sockets

    public static func socket(domain: Int32, type: Int32) throws(IOError) -> Int32 {
        try call("socket") { Glibc.socket(domain, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
    }

    public static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) throws(IOError) {
        var value = value
        _ = try call("setsockopt") {
            Glibc.setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Makes the next `close` of `fd` abortive: SO_LINGER on with a zero timeout, so the kernel
    /// drops unsent bytes and sends a reset (RST) instead of an orderly end (FIN).
    public static func setAbortiveClose(_ fd: Int32) throws(IOError) {
        var value = linger(l_onoff: 1, l_linger: 0)
        _ = try call("setsockopt") {
            Glibc.setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, socklen_t(MemoryLayout<linger>.size))
        }
    }

    public static func socketError(_ fd: Int32) throws(IOError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try call("getsockopt") { Glibc.getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) }
        return value
    }

    public static func bind(_ fd: Int32, _ address: SocketAddress) throws(IOError) {
        _ = try address.withSockAddr { pointer, length throws(IOError) in
            try call("bind") { Glibc.bind(fd, pointer, length) }
        }
    }

    public static func listen(_ fd: Int32, backlog: Int32) throws(IOError) {
        _ = try call("listen") { Glibc.listen(fd, backlog) }
    }

    /// Returns the accepted descriptor, or nil when no connection is waiting.
    public static func accept(_ fd: Int32) throws(IOError) -> Int32? {
        while true {
            let result = meshbed_accept_nonblocking(fd, nil, nil)
            if result >= 0 { return result }
            let code = errno()
            if code == EINTR || code == ECONNABORTED { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return nil }
            throw IOError(code: code, function: "accept4")
        }
    }

    /// Starts a non-blocking connect; returns true when it completed at once.
    public static func connect(_ fd: Int32, _ address: SocketAddress) throws(IOError) -> Bool {
        try address.withSockAddr { pointer, length throws(IOError) in
            while true {
                if Glibc.connect(fd, pointer, length) == 0 { return true }
                let code = errno()
                if code == EINTR { continue }
                if code == EINPROGRESS { return false }
                throw IOError(code: code, function: "connect")
            }
        }
    }

    public static func localAddress(_ fd: Int32) throws(IOError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { pointer throws(IOError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(IOError) in
                try call("getsockname") { Glibc.getsockname(fd, address, &length) }
            }
        }
        return SocketAddress(storage: storage)
    }

    // MARK: epoll, eventfd, timerfd

    public static func epollCreate() throws(IOError) -> Int32 {
        try call("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
    }

    public static func epollControl(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32, data: UInt64) throws(IOError) {
        var event = epoll_event()
        event.events = events
        event.data.u64 = data
        _ = try call("epoll_ctl") { epoll_ctl(epfd, op, fd, &event) }
    }

    /// Waits for events; timeout -1 blocks. Returns how many events were filled.
    public static func epollWait(_ epfd: Int32, _ events: UnsafeMutablePointer<epoll_event>, capacity: Int32, timeout: Int32) throws(IOError) -> Int {
        while true {
            let result = epoll_wait(epfd, events, capacity, timeout)
            if result >= 0 { return Int(result) }
            let code = errno()
            if code == EINTR { return 0 }
            throw IOError(code: code, function: "epoll_wait")
        }
    }

    /// Gives the rest of this time slice to another runnable thread, if any.
    public static func yieldProcessor() { _ = sched_yield() }

    public static func eventfdCreate() throws(IOError) -> Int32 {
        try call("eventfd") { eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC)) }
    }

    public static func eventfdSignal(_ fd: Int32) {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, 8)  // EAGAIN means the counter is already non-zero: the loop wakes anyway.
    }

    public static func drain(_ fd: Int32) {
        var value: UInt64 = 0
        _ = Glibc.read(fd, &value, 8)
    }

    public static func timerfdCreate() throws(IOError) -> Int32 {
        try call("timerfd_create") { timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK) | Int32(TFD_CLOEXEC)) }
    }

    /// Arms the timer for an absolute CLOCK_MONOTONIC deadline in nanoseconds (0 disarms).
    public static func timerfdArm(_ fd: Int32, deadline: UInt64) throws(IOError) {
        var spec = itimerspec()
        spec.it_value.tv_sec = Int(deadline / 1_000_000_000)
        spec.it_value.tv_nsec = Int(deadline % 1_000_000_000)
        _ = try call("timerfd_settime") { timerfd_settime(fd, Int32(TFD_TIMER_ABSTIME), &spec, nil) }
    }

    /// Blocks `signals` for the calling thread and the threads it starts afterwards,
    /// so that `waitForSignal` can take them synchronously.
    public static func blockSignals(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits until one of `signals` (blocked beforehand) arrives and returns it.
    public static func waitForSignal(_ signals: [Int32]) -> Int32 {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }

    /// Ignores SIGPIPE process-wide (writes use MSG_NOSIGNAL too; this covers the rest).
    public static func ignoreSIGPIPE() {
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    @inline(__always)
    public static func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// The value of environment variable `name`, if set and not empty.
    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// The wall-clock time in whole seconds since 1970 (certificate validity is in these).
    public static func wallClockSeconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }

    /// The wall-clock time in nanoseconds since 1970 (for log lines; never for measuring).
    public static func wallClockNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    /// Sleeps the calling thread (never call on a loop thread).
    public static func sleep(nanoseconds: UInt64) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno() == EINTR { request = remaining }
    }

    /// At most `limit` bytes from the start of the file at `path` (fewer when it is shorter).
    public static func readFile(_ path: String, limit: Int) throws(IOError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError(code: errno(), function: "open") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { chunk.deallocate() }
        while bytes.count < limit {
            let result = Glibc.read(fd, chunk.baseAddress, min(chunk.count, limit - bytes.count))
            if result == 0 { break }
            if result < 0 {
                if errno() == EINTR { continue }
                throw IOError(code: errno(), function: "read")
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<result]))
        }
        return bytes
    }

    /// Whether a file (or directory) exists at `path`.
    public static func fileExists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Whether `fd` is a terminal.
    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// The soft limit on open descriptors (RLIMIT_NOFILE); `Int.max` when unlimited.
    public static func openFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        // RLIM_INFINITY is all ones, above Int.max.
        return limit.rlim_cur > UInt(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// Raises the soft limit on open descriptors to the hard limit (as nginx's
    /// `worker_rlimit_nofile` or Go's runtime do), so a server's connection limit is not the
    /// shell's default 1024; returns the soft limit now in force.
    @discardableResult
    public static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return openFileLimit()
    }

    /// The number of online processors.
    public static func processorCount() -> Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Makes the kernel SIGKILL this process when its parent exits, if the environment
    /// names a supervisor (`MESHBED_SUPERVISOR_PID`). Returns false when that supervisor is
    /// already gone (the caller must exit at once): every process meshbed starts dies with it.
    ///
    /// In a container, whose parent is the engine's monitor, the environment names the
    /// supervisor by pid and start time instead (`MESHBED_SUPERVISOR_WATCH=PID:START`, the
    /// container sharing the host's pids): a thread checks every 200 ms that it still runs.
    public static func followSupervisor() -> Bool {
        if let watch = getenv(supervisorWatchVariable) { return watchSupervisor(String(cString: watch)) }
        guard let text = getenv("MESHBED_SUPERVISOR_PID"), let supervisor = Int32(String(cString: text)) else { return true }
        _ = meshbed_set_parent_death_signal(SIGKILL)
        // The parent may have died before the line above: then we were re-parented already.
        return getppid() == supervisor
    }

    /// The variable that names a supervisor to watch: `PID:START` (`supervisorWatch`).
    public static let supervisorWatchVariable = "MESHBED_SUPERVISOR_WATCH"

    /// `PID:START` of this process, what `watchSupervisor` reads.
    public static func supervisorWatch() -> String {
        let pid = processID()
        return "\(pid):\(startTime(of: pid) ?? 0)"
    }

    /// Kills this process (SIGKILL, as a parent-death signal would) once the process named by
    /// `watch` (`PID:START`) has ended. Returns false when it already has, or `watch` names
    /// no process: the caller must exit at once.
    public static func watchSupervisor(_ watch: String) -> Bool {
        let parts = watch.split(separator: ":")
        guard parts.count == 2, let pid = Int32(parts[0]), let start = UInt64(parts[1]), start != 0,
              startTime(of: pid) == start
        else { return false }
        let thread = try? EventLoopGroup.startThread(name: "meshbed-watch") {
            while startTime(of: pid) == start { sleep(nanoseconds: 200_000_000) }
            _ = Glibc.kill(getpid(), SIGKILL)
        }
        if let thread { pthread_detach(thread) }
        return thread != nil
    }

    /// Ends the process with `status`, flushing nothing (meshbed writes unbuffered).
    public static func exit(_ status: Int32) -> Never {
        Glibc.exit(status)
    }

    /// Writes a whole buffer to a blocking descriptor (stdout/stderr).
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    /// Writes whole bytes to a blocking descriptor (stdout/stderr).
    public static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) {
        guard let start = buffer.baseAddress else { return }
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, start + offset, buffer.count - offset)
            if n < 0 {
                if errno() == EINTR { continue }
                return
            }
            offset += n
        }
    }
}
