import Glibc
import MeshIO

/// What a server sent back on one raw connection: its bytes, and whether it closed.
public struct RawReply: Sendable {
    /// Every byte received before the server closed or the deadline passed.
    public var bytes: [UInt8]
    /// Whether the server closed (or reset) the connection before the deadline.
    public var closed: Bool

    /// The status codes of the responses in `bytes`, in order. Responses are walked by their
    /// framing (content-length, chunked, none for 1xx/204/304, else to the end); a reply to
    /// HEAD would be misread, so tests send none. Stops at bytes that are not a response.
    public var statuses: [Int] {
        var result: [Int] = []
        var p = 0
        while let status = Self.status(bytes, at: p) {
            result.append(status)
            guard let headEnd = Self.find([13, 10, 13, 10], in: bytes, from: p) else { break }
            let head = String(decoding: bytes[p..<headEnd], as: UTF8.self).lowercased()
            p = headEnd + 4
            if status < 200 || status == 204 || status == 304 { continue }
            if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
               let length = Int(line.dropFirst("content-length:".count).filter { $0 != " " && $0 != "\t" }) {
                p += length
            } else if head.contains("transfer-encoding: chunked") {
                while let lineEnd = Self.find([13, 10], in: bytes, from: p),
                      let size = Int(String(decoding: bytes[p..<lineEnd], as: UTF8.self).split(separator: ";").first ?? "", radix: 16) {
                    p = lineEnd + 2
                    if size == 0 {
                        // Trailers, then the empty line.
                        while let end = Self.find([13, 10], in: bytes, from: p), end > p { p = end + 2 }
                        p += 2
                        break
                    }
                    p += size + 2
                }
            } else {
                break
            }
        }
        return result
    }

    private static func status(_ bytes: [UInt8], at p: Int) -> Int? {
        guard p + 12 <= bytes.count, bytes[p..<(p + 7)].elementsEqual("HTTP/1.".utf8), bytes[p + 8] == 32 else { return nil }
        let digits = bytes[(p + 9)..<(p + 12)]
        guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 48) }
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard start + needle.count <= bytes.count else { return nil }
        for i in start...(bytes.count - needle.count) where bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }

    /// The reply as text (for assertions on headers; never print big replies).
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Sends `bytes` on a new connection to `address`, in pieces of the given sizes (each its own
/// write; the rest in one), and collects the reply. Then, in order: with `settle`, reads until
/// the server has been silent that many seconds; with `halfClose`, shuts the sending side;
/// finally reads until the server closes, `responses` status lines arrived, or `seconds` passed
/// since the start. Throws only when it cannot connect.
public func rawExchange(_ address: SocketAddress, _ bytes: [UInt8], pieces: [Int] = [], settle: Double = 0,
                        halfClose: Bool = false, responses: Int? = nil, within seconds: Double = 5) throws(IOError) -> RawReply {
    let timeout = UInt64(seconds * 1e9)
    let deadline = Posix.monotonicNanoseconds() &+ timeout
    let fd = try Posix.connect(to: address, timeoutNanoseconds: timeout)
    defer { Posix.close(fd) }
    var reply = RawReply(bytes: [], closed: false)
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)

    /// Reads what is there now; false once the server closed or reset.
    func drain() -> Bool {
        while true {
            switch readOnce(fd, &buffer, into: &reply) {
            case .closed: return false
            case .received: continue
            case .nothingYet: return true
            }
        }
    }
    func remaining() -> UInt64 {
        let now = Posix.monotonicNanoseconds()
        return now < deadline ? deadline - now : 0
    }

    // Send, reading whenever the socket will not take more, so a server that answers before
    // it read everything cannot deadlock us.
    var offset = 0
    var cuts = pieces.makeIterator()
    while offset < bytes.count {
        let size = min(max(1, cuts.next() ?? bytes.count), bytes.count - offset)
        var sent = 0
        while sent < size {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(IOError) in
                    try Posix.write(fd, UnsafeRawBufferPointer(rebasing: raw[(offset + sent)..<(offset + size)]))
                }
            }
            switch result {
            case .success(.processed(let n)):
                sent += n
            case .success(.wouldBlock):
                guard drain(), remaining() > 0 else { return reply }
                _ = try? Posix.waitUntil(fd, writable: true, timeoutNanoseconds: min(remaining(), 10_000_000))
            case .failure:
                // The server closed (or reset) while we were still sending: keep what it said.
                _ = drain()
                reply.closed = true
                return reply
            }
        }
        offset += size
    }
    if settle > 0 {
        let quiet = UInt64(settle * 1e9)
        while drain(), remaining() > 0 {
            let before = reply.bytes.count
            _ = try? Posix.waitUntil(fd, timeoutNanoseconds: min(quiet, remaining()))
            guard drain() else { return reply }
            if reply.bytes.count == before { break }
        }
    }
    if halfClose { try? Posix.shutdown(fd, how: 1) }
    while drain() {
        if let responses, reply.statuses.count >= responses { return reply }
        guard remaining() > 0 else { return reply }
        _ = try? Posix.waitUntil(fd, timeoutNanoseconds: remaining())
    }
    return reply
}

/// `rawExchange` to a `host:port` address; throws EINVAL for one that does not parse.
public func rawExchange(_ address: String, _ bytes: [UInt8], pieces: [Int] = [], settle: Double = 0,
                        halfClose: Bool = false, responses: Int? = nil, within seconds: Double = 5) throws(IOError) -> RawReply {
    guard let parsed = SocketAddress(address) else { throw IOError(code: EINVAL, function: "address") }
    return try rawExchange(parsed, bytes, pieces: pieces, settle: settle, halfClose: halfClose, responses: responses, within: seconds)
}

/// The status of `GET path` with `Host: host` and `Connection: close` on a new connection to
/// `address`, or nil when nothing sensible came back in `seconds`.
public func normalRequestStatus(_ address: SocketAddress, host: String = "localhost", path: String = "/",
                                within seconds: Double = 5) -> Int? {
    let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
    guard let reply = try? rawExchange(address, request, within: seconds) else { return nil }
    return reply.statuses.first
}

/// `normalRequestStatus` for a `host:port` address (nil for one that does not parse).
public func normalRequestStatus(_ address: String, host: String = "localhost", path: String = "/",
                                within seconds: Double = 5) -> Int? {
    SocketAddress(address).flatMap { normalRequestStatus($0, host: host, path: path, within: seconds) }
}

/// A raw client connection kept open across exchanges (for idle connections and for
/// requests on a connection opened earlier). Closed on `close()` or when released.
public final class RawConnection {
    private var fd: Int32

    /// Connects to `address`, waiting at most `seconds`.
    public init(_ address: SocketAddress, within seconds: Double = 5) throws(IOError) {
        fd = try Posix.connect(to: address, timeoutNanoseconds: UInt64(seconds * 1e9))
    }

    /// Connects to a `host:port` address; throws EINVAL for one that does not parse.
    public convenience init(_ address: String, within seconds: Double = 5) throws(IOError) {
        guard let parsed = SocketAddress(address) else { throw IOError(code: EINVAL, function: "address") }
        try self.init(parsed, within: seconds)
    }

    deinit { close() }

    /// Whether the server closed the connection without sending anything, waiting at most `seconds`.
    public func closedByServer(within seconds: Double) -> Bool {
        guard fd >= 0 else { return true }
        guard (try? Posix.waitUntil(fd, timeoutNanoseconds: UInt64(seconds * 1e9))) == true else { return false }
        var byte: UInt8 = 0
        let result = withUnsafeMutableBytes(of: &byte) { raw in Result { () throws(IOError) in try Posix.read(fd, into: raw) } }
        switch result {
        case .success(.processed(0)), .failure: return true
        default: return false
        }
    }

    /// Closes the connection (no-op once closed).
    public func close() {
        if fd >= 0 { Posix.close(fd) }
        fd = -1
    }

    /// Sends `bytes` (a small request) and reads until `responses` responses arrived, the
    /// server closed, or `seconds` passed.
    public func exchange(_ bytes: [UInt8], responses: Int = 1, within seconds: Double = 5) -> RawReply {
        var reply = RawReply(bytes: [], closed: false)
        guard fd >= 0 else { return RawReply(bytes: [], closed: true) }
        let deadline = Posix.monotonicNanoseconds() &+ UInt64(seconds * 1e9)
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(IOError) in try Posix.write(fd, UnsafeRawBufferPointer(rebasing: raw[sent...])) }
            }
            guard case .success(let written) = result else { return RawReply(bytes: [], closed: true) }
            if case .processed(let n) = written { sent += n } else {
                _ = try? Posix.waitUntil(fd, writable: true, timeoutNanoseconds: 10_000_000)
            }
            if Posix.monotonicNanoseconds() > deadline { return reply }
        }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while reply.statuses.count < responses {
            let now = Posix.monotonicNanoseconds()
            guard now < deadline else { break }
            _ = try? Posix.waitUntil(fd, timeoutNanoseconds: deadline - now)
            if readOnce(fd, &buffer, into: &reply) == .closed { return reply }
        }
        return reply
    }
}

/// What one non-blocking read of a raw connection brought.
enum RawRead { case received, nothingYet, closed }

/// Reads once from `fd` into `reply` (marking it closed on end of stream or an error).
func readOnce(_ fd: Int32, _ buffer: inout [UInt8], into reply: inout RawReply) -> RawRead {
    let result = buffer.withUnsafeMutableBytes { raw in Result { () throws(IOError) in try Posix.read(fd, into: raw) } }
    switch result {
    case .success(.processed(0)), .failure:
        reply.closed = true
        return .closed
    case .success(.processed(let n)):
        reply.bytes.append(contentsOf: buffer[0..<n])
        return .received
    case .success(.wouldBlock):
        return .nothingYet
    }
}
