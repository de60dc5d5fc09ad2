// Short-lived sockets outside the event loops: claiming free loopback ports and the
// blocking-with-deadline connects that readiness probes use. Part of the `Posix` facade.

import CMeshbedShims
import Glibc

extension Posix {
    /// Binds a TCP socket to a free port on 127.0.0.1 (without SO_REUSEADDR, so the port is
    /// truly unused) and returns it with the port. While it stays open no one else gets
    /// the port; close it with `close` to hand the port over.
    /// Binds a TCP socket to 127.0.0.1:`port` (no SO_REUSEADDR: a port in use, or lingering
    /// in TIME_WAIT, is refused). Returns the socket, or nil when the port is taken.
    public static func bindLoopbackPort(_ port: Int) throws(IOError) -> Int32? {
        let fd = try socket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue))
        do {
            try bind(fd, SocketAddress(host: "127.0.0.1", port: port)!)
            return fd
        } catch {
            close(fd)
            if error.code == EADDRINUSE || error.code == EACCES { return nil }
            throw error
        }
    }

    /// The kernel's ephemeral port range (`/proc/sys/net/ipv4/ip_local_port_range`), from
    /// which it picks ports for outgoing connections and for binds to port 0.
    public static func ephemeralPortRange() -> ClosedRange<Int> {
        let fd = open("/proc/sys/net/ipv4/ip_local_port_range", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 32768...60999 }
        defer { Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return 32768...60999 }
        let numbers = String(decoding: buffer[0..<n], as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            .compactMap { Int($0) }
        guard numbers.count == 2, numbers[0] <= numbers[1] else { return 32768...60999 }
        return numbers[0]...numbers[1]
    }

    public static func bindFreeLoopbackPort() throws(IOError) -> (fd: Int32, port: Int) {
        let fd = try socket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue))
        do {
            try bind(fd, SocketAddress(host: "127.0.0.1", port: 0)!)
            return (fd, try localAddress(fd).port)
        } catch {
            close(fd)
            throw error
        }
    }

    /// Opens a TCP connection to `address`, waiting at most `timeoutNanoseconds`. Returns
    /// the connected (non-blocking) socket; throws ECONNREFUSED, ETIMEDOUT and the like.
    public static func connect(to address: SocketAddress, timeoutNanoseconds: UInt64) throws(IOError) -> Int32 {
        let fd = try socket(domain: address.family, type: Int32(SOCK_STREAM.rawValue))
        do throws(IOError) {
            if try !connect(fd, address) {
                guard try waitUntil(fd, writable: true, timeoutNanoseconds: timeoutNanoseconds) else {
                    throw IOError(code: ETIMEDOUT, function: "connect")
                }
                let error = try socketError(fd)
                if error != 0 { throw IOError(code: error, function: "connect") }
            }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// Waits until `fd` is readable (or, with `writable`, writable), at most
    /// `timeoutNanoseconds`; false on timeout. Errors and hang-ups count as ready (the
    /// next read or write reports them).
    public static func waitUntil(_ fd: Int32, writable: Bool = false, timeoutNanoseconds: UInt64) throws(IOError) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(writable ? POLLOUT : POLLIN), revents: 0)
        let deadline = monotonicNanoseconds() + timeoutNanoseconds
        while true {
            let now = monotonicNanoseconds()
            if now >= deadline { return false }
            let milliseconds = Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
            let result = poll(&descriptor, 1, milliseconds)
            if result > 0 { return true }
            if result == 0 { continue }
            let code = errno()
            if code == EINTR { continue }
            throw IOError(code: code, function: "poll")
        }
    }
}
