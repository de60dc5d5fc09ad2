import MeshIO

/// A one-shot HTTP/1.1 request (a GET for readiness probes, a small JSON body for the control
/// plane's API): connect, send, read the status line (or the whole response), close. Blocking
/// with a deadline, so the supervisor's single thread stays simple.
public enum HTTPProbe {
    /// The status code `METHOD http://ADDRESS/PATH` answers with, or nil when the address is
    /// bad, nothing answers, the answer is not HTTP or does not come within `timeout`.
    public static func status(address: String, path: String, method: String = "GET", timeout: Duration = .seconds(1)) -> Int? {
        exchange(address: address, path: path, method: method, timeout: timeout, wholeResponse: false).map(\.status)
    }

    /// The status and body of `GET http://ADDRESS/PATH` (the body of at most 4 MiB, read
    /// until the server closes), or nil as for `status`.
    public static func get(address: String, path: String, timeout: Duration = .seconds(1)) -> (status: Int, body: [UInt8])? {
        exchange(address: address, path: path, method: "GET", timeout: timeout, wholeResponse: true)
    }

    /// The status and body of `METHOD http://ADDRESS/PATH` sent with the JSON `body`, or nil
    /// as for `status`.
    public static func send(
        _ method: String, address: String, path: String, json body: [UInt8], timeout: Duration = .seconds(1)
    ) -> (status: Int, body: [UInt8])? {
        exchange(address: address, path: path, method: method, body: body, timeout: timeout, wholeResponse: true)
    }

    /// The longest a probe waits for its connection to open.
    static let connectTimeout: UInt64 = 250_000_000

    private static func exchange(
        address: String, path: String, method: String, body: [UInt8]? = nil, timeout: Duration, wholeResponse: Bool
    ) -> (status: Int, body: [UInt8])? {
        guard let socketAddress = SocketAddress(address) else { return nil }
        let deadline = Posix.monotonicNanoseconds() + nanoseconds(timeout)
        // A listener accepts at once; an address nobody holds yet (a container still starting)
        // leaves the connect waiting on ARP: give up early, the caller asks again.
        guard let fd = try? Posix.connect(to: socketAddress, timeoutNanoseconds: min(nanoseconds(timeout), connectTimeout)) else { return nil }
        defer { Posix.close(fd) }
        let length = body.map { "Content-Type: application/json\r\nContent-Length: \($0.count)\r\n" } ?? (method == "GET" ? "" : "Content-Length: 0\r\n")
        let request = Array("\(method) \(path) HTTP/1.1\r\nHost: \(address)\r\nUser-Agent: meshbed-probe\r\n\(length)Connection: close\r\n\r\n".utf8)
            + (body ?? [])
        var offset = 0
        while offset < request.count {
            guard let remaining = remaining(until: deadline),
                  (try? Posix.waitUntil(fd, writable: true, timeoutNanoseconds: remaining)) == true
            else { return nil }
            let result = request[offset...].withUnsafeBytes { try? Posix.write(fd, $0) }
            switch result {
            case .processed(let count)?: offset += count
            case .wouldBlock?: continue
            case nil: return nil
            }
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: wholeResponse ? 65536 : 1024)
        let limit = wholeResponse ? 4 << 20 : 4096
        while (wholeResponse || !received.contains(UInt8(ascii: "\n"))) && received.count < limit {
            guard let remaining = remaining(until: deadline),
                  (try? Posix.waitUntil(fd, timeoutNanoseconds: remaining)) == true
            else { return nil }
            let result = buffer.withUnsafeMutableBytes { try? Posix.read(fd, into: $0) }
            switch result {
            case .processed(0)?, nil: return response(received)
            case .processed(let count)?: received += buffer[0..<count]
            case .wouldBlock?: continue
            }
        }
        return wholeResponse ? nil : response(received)
    }

    /// The status and the bytes after the head of a response read to its end.
    private static func response(_ bytes: [UInt8]) -> (status: Int, body: [UInt8])? {
        guard let status = parseStatus(bytes) else { return nil }
        let separator: [UInt8] = [13, 10, 13, 10]
        var body: [UInt8] = []
        if bytes.count >= 4, let start = (0...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) }) {
            body = Array(bytes[(start + 4)...])
        }
        return (status, body)
    }

    /// The status code of `HTTP/1.x NNN ...` at the start of `bytes`.
    static func parseStatus(_ bytes: [UInt8]) -> Int? {
        let line = String(decoding: bytes.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let code = Int(parts[1]) else { return nil }
        return code
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }

    private static func remaining(until deadline: UInt64) -> UInt64? {
        let now = Posix.monotonicNanoseconds()
        return now < deadline ? deadline - now : nil
    }
}
