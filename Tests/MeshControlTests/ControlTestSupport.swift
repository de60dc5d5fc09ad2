import Foundation
import Glibc
import MeshConfig
import MeshControl
import MeshIO
import MeshTestSupport
import MeshTopology
import Testing

// MARK: topologies

/// Bookinfo, built with the model's public initializers (no YAML reader needed):
///
///     productpage (v1 ×1) → details, reviews
///     details     (v1 ×1)
///     reviews     v1 ×2, v2 ×1 → ratings
///     ratings     (v1 ×2)
///     routes:        reviews: [{match: {headers: {End-User: jason}, pathPrefix: /}, split: {v2: 100}},
///                              {split: {v1: 90, v2: 10}}]
///     authorization: ratings: {allow: [reviews]}
func bookinfo() -> Topology {
    Topology(
        name: "bookinfo",
        services: [
            "productpage": Service(name: "productpage", calls: ["details", "reviews"]),
            "details": Service(name: "details"),
            "reviews": Service(name: "reviews", calls: ["ratings"], versions: [
                "v1": ServiceVersion(name: "v1", replicas: 2, calls: ["ratings"]),
                "v2": ServiceVersion(name: "v2", replicas: 1, calls: ["ratings"]),
            ]),
            "ratings": Service(name: "ratings", replicas: 2),
        ],
        routes: [
            "reviews": [
                Route(match: RouteMatch(headers: ["End-User": "jason"], pathPrefix: "/"), split: ["v2": 100]),
                Route(split: ["v1": 90, "v2": 10]),
            ],
        ],
        authorization: ["ratings": AuthorizationRule(allow: ["reviews"])])
}

/// Short times for tests that wait on them.
func fastConfiguration(hold: Double = 20, heartbeatTimeout: Double = 3, expiryInterval: Double = 0.5) -> ControlConfiguration {
    ControlConfiguration(holdTime: UInt64(hold * 1e9), heartbeatTimeout: UInt64(heartbeatTimeout * 1e9),
                         expiryInterval: UInt64(expiryInterval * 1e9))
}

/// Runs `body` against a control plane on 127.0.0.1 (any free port), shut down afterwards.
func withControlPlane(
    _ topology: Topology = bookinfo(), configuration: ControlConfiguration = ControlConfiguration(),
    _ body: (ControlPlane) throws -> Void
) throws {
    let control = try ControlPlane(topology: topology, address: SocketAddress("127.0.0.1:0")!, configuration: configuration)
    defer { control.shutdown(timeout: 2_000_000_000) }
    try body(control)
}

// MARK: fake sidecars

/// A sidecar as the control plane sees it: heartbeats, polls and acks, over HTTP.
struct FakeSidecar {
    let instance: String
    let service: String
    let version: String
    /// Its (pretend) inbound address.
    let inbound: String

    init(_ instance: String, service: String, version: String = "v1", inbound: String) {
        self.instance = instance
        self.service = service
        self.version = version
        self.inbound = inbound
    }

    /// The gateway: instance and service `ingress`, no inbound port.
    static let ingress = FakeSidecar("ingress", service: "ingress", inbound: "")

    func heartbeatBody(ready: Bool = true) -> [UInt8] {
        encodeJSON(Heartbeat(instance: instance, service: service, version: version, inbound: inbound, ready: ready))
    }

    @discardableResult
    func heartbeat(_ control: ControlPlane, ready: Bool = true) throws -> TestResponse {
        try TestHTTPClient.request(control, "POST", "/v1/heartbeat", body: heartbeatBody(ready: ready))
    }

    @discardableResult
    func ack(_ control: ControlPlane, version: Int, error: String? = nil) throws -> TestResponse {
        try TestHTTPClient.request(control, "POST", "/v1/ack", body: encodeJSON(Ack(instance: instance, version: version, error: error)))
    }
}

let productpage = FakeSidecar("productpage-v1-0", service: "productpage", inbound: "127.0.0.1:20001")
let details = FakeSidecar("details-v1-0", service: "details", inbound: "127.0.0.1:20002")
let reviewsV1a = FakeSidecar("reviews-v1-0", service: "reviews", inbound: "127.0.0.1:20003")
let reviewsV1b = FakeSidecar("reviews-v1-1", service: "reviews", inbound: "127.0.0.1:20004")
let reviewsV2 = FakeSidecar("reviews-v2-0", service: "reviews", version: "v2", inbound: "127.0.0.1:20005")
let ratingsA = FakeSidecar("ratings-v1-0", service: "ratings", inbound: "127.0.0.1:20006")
let ratingsB = FakeSidecar("ratings-v1-1", service: "ratings", inbound: "127.0.0.1:20007")

func encodeJSON<T: Encodable>(_ value: T) -> [UInt8] {
    Array(try! JSONEncoder().encode(value))
}

// MARK: reading state over HTTP

func currentSnapshot(_ control: ControlPlane) throws -> MeshSnapshot {
    let response = try TestHTTPClient.request(control, "GET", "/v1/snapshot/current")
    try #require(response.status == 200)
    return try response.decode(MeshSnapshot.self)
}

func instanceStatuses(_ control: ControlPlane) throws -> [String: InstanceStatus] {
    let response = try TestHTTPClient.request(control, "GET", "/v1/instances")
    try #require(response.status == 200)
    let list = try response.decode([InstanceStatus].self)
    return Dictionary(uniqueKeysWithValues: list.map { ($0.instance, $0) })
}

/// The endpoint ids of `service`/`version` in `snapshot`.
func endpointIDs(_ snapshot: MeshSnapshot, _ service: String, _ version: String = "v1") -> [String] {
    snapshot.services[service]?.versions[version]?.map(\.id) ?? []
}

// MARK: a blocking HTTP/1.1 client

/// A response as the test client read it.
struct TestResponse {
    var status: Int
    /// Header names lower-cased, in order.
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
    var text: String { String(decoding: body, as: UTF8.self) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(body))
    }

    /// The `error` of a JSON error body.
    var errorMessage: String? {
        (try? JSONDecoder().decode([String: String].self, from: Data(body)))?["error"]
    }
}

enum TestClientError: Error {
    case connect(Int32)
    case timedOut
    case closed
    case malformed(String)
}

/// One keep-alive connection to a server on loopback, driven synchronously by the test
/// thread with deadlines (no threads, no sleeping).
final class TestHTTPClient {
    private var fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError.connect(errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TestClientError.connect(code)
        }
    }

    convenience init(_ control: ControlPlane) throws {
        try self.init(port: control.address.port)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// One request on a fresh connection.
    static func request(_ control: ControlPlane, _ method: String, _ target: String, body: [UInt8]? = nil) throws -> TestResponse {
        let client = try TestHTTPClient(control)
        try client.send(method, target, body: body)
        return try client.readResponse()
    }

    /// Sends a request (with `content-length` when there is a body).
    func send(_ method: String, _ target: String, body: [UInt8]? = nil, extraHeaders: [String] = []) throws {
        var head = "\(method) \(target) HTTP/1.1\r\nhost: control\r\n"
        if let body { head += "content-length: \(body.count)\r\n" }
        for line in extraHeaders { head += line + "\r\n" }
        head += "\r\n"
        try sendRaw(Array(head.utf8) + (body ?? []))
    }

    /// Sends bytes as given.
    func sendRaw(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw TestClientError.closed
            }
            offset += written
        }
    }

    /// Whether response bytes have arrived (without waiting).
    var hasPendingData: Bool {
        if !buffer.isEmpty { return true }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0
    }

    /// Reads one response (framed by `content-length`; no body for 204, 304 and, with
    /// `toHEAD`, the answer to a HEAD request).
    func readResponse(within seconds: Double = 10, toHEAD: Bool = false) throws -> TestResponse {
        let deadline = Posix.monotonicNanoseconds() + UInt64(seconds * 1e9)
        let headEnd = try fill(until: deadline) { $0.firstRange(of: [13, 10, 13, 10])?.upperBound }
        let headText = String(decoding: buffer[..<headEnd], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard !lines.isEmpty else { throw TestClientError.malformed(headText) }
        let statusParts = lines.removeFirst().split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestClientError.malformed(headText) }
        let headers = lines.map { line -> (name: String, value: String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (parts[0].lowercased(), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        let length = (status == 204 || status == 304 || toHEAD) ? 0 : Int(headers.first { $0.name == "content-length" }?.value ?? "0") ?? 0
        let end = try fill(until: deadline) { $0.count >= headEnd + length ? headEnd + length : nil }
        let body = Array(buffer[headEnd..<end])
        buffer.removeFirst(end)
        return TestResponse(status: status, headers: headers, body: body)
    }

    /// Whether the server has closed the connection (EOF) within `seconds`.
    func isClosedByPeer(within seconds: Double = 5) -> Bool {
        let deadline = Posix.monotonicNanoseconds() + UInt64(seconds * 1e9)
        while Posix.monotonicNanoseconds() < deadline {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 50) > 0 else { continue }
            var scratch = [UInt8](repeating: 0, count: 4096)
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return true }
        }
        return false
    }

    /// Closes with a reset (SO_LINGER 0), as a crashed client would.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.close(fd)
        fd = -1
    }

    private func fill(until deadline: UInt64, _ complete: ([UInt8]) -> Int?) throws -> Int {
        while true {
            if let end = complete(buffer) { return end }
            let now = Posix.monotonicNanoseconds()
            guard now < deadline else { throw TestClientError.timedOut }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let waitMillis = Int32(min(100, (deadline - now) / 1_000_000 + 1))
            guard poll(&entry, 1, waitMillis) > 0 else { continue }
            var scratch = [UInt8](repeating: 0, count: 64 * 1024)
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw TestClientError.closed }
            buffer.append(contentsOf: scratch[0..<count])
        }
    }
}
