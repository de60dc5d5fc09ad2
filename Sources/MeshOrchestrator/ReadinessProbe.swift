import MeshIO

/// How the orchestrator tells that a process is up: an HTTP GET that must answer with a
/// status in a range, or a TCP connect that must succeed.
public enum ReadinessProbe: Sendable, Equatable, CustomStringConvertible {
    /// `GET http://ADDRESS/PATH` answers with a status in `accepts`.
    case http(address: String, path: String, accepts: ClosedRange<Int>)
    /// A TCP connection to `address` is accepted.
    case tcp(address: String)

    /// Whether the probe passes now, waiting at most `timeout`.
    public func check(timeout: Duration = .seconds(1)) -> Bool {
        switch self {
        case .http(let address, let path, let accepts):
            guard let status = HTTPProbe.status(address: address, path: path, timeout: timeout) else { return false }
            return accepts.contains(status)
        case .tcp(let address):
            guard let socketAddress = SocketAddress(address),
                  let fd = try? Posix.connect(to: socketAddress, timeoutNanoseconds: HTTPProbe.nanoseconds(timeout))
            else { return false }
            Posix.close(fd)
            return true
        }
    }

    /// `GET http://127.0.0.1:P/ready answers 200`, `127.0.0.1:P accepts connections`.
    public var description: String {
        switch self {
        case .http(let address, let path, let accepts):
            let statuses = accepts.count == 1 ? "\(accepts.lowerBound)" : accepts == 200...299 ? "2xx" : "\(accepts)"
            return "GET http://\(address)\(path) answers \(statuses)"
        case .tcp(let address):
            return "\(address) accepts connections"
        }
    }
}
