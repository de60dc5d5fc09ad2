import Foundation
import MeshIO
import MeshTestSupport
import MeshTopology

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "meshbed-orchestrator-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String { path + "/" + name }
}

/// Waits (bounded) for our child `pid` to end and reaps it; nil if it did not end in time.
func waitForExit(_ pid: Int32, within seconds: Double = 10) -> ChildStatus? {
    var status: ChildStatus?
    _ = eventually(within: seconds) {
        status = Posix.reap(pid)
        return status != nil
    }
    return status
}

/// Whether `pid` has ended (gone or a zombie), waiting up to `seconds`.
func ended(_ pid: Int32, within seconds: Double = 5) -> Bool {
    eventually(within: seconds) { !Posix.liveness(of: pid).isAlive }
}

/// A text file's content ("" when missing).
func contents(_ path: String) -> String {
    Posix.readFile(path).map { String(decoding: $0, as: UTF8.self) } ?? ""
}

/// Waits until `path` holds a line that is a number and returns it.
func pidLine(in path: String, within seconds: Double = 5) -> Int32? {
    var pid: Int32?
    _ = eventually(within: seconds) {
        pid = contents(path).split(separator: "\n").lazy.compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }.first
        return pid != nil
    }
    return pid
}

/// A field of `/proc/PID/stat` counted from 1 (`pid`), e.g. 5 = process group, 6 = session.
func statField(_ pid: Int32, _ field: Int) -> Int32? {
    let text = contents("/proc/\(pid)/stat")
    guard let close = text.lastIndex(of: ")") else { return nil }
    let rest = text[text.index(after: close)...].split(separator: " ")
    // rest[0] is field 3 (state).
    let index = field - 3
    return rest.indices.contains(index) ? Int32(rest[index]) : nil
}

/// The `meshbed` executable built next to this test binary, if any.
var meshbedExecutable: String? {
    guard var directory = Posix.executablePath() else { return nil }
    for _ in 0..<4 {
        directory = (directory as NSString).deletingLastPathComponent
        let candidate = directory + "/meshbed"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// This process's environment as `NAME=value` strings.
var inheritedEnvironment: [String] {
    ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
}

/// A tiny HTTP server on a thread for probe tests: answers every request with `status`
/// (or closes without answering when `status` is nil) until `stop()`.
final class StubHTTPServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let stopped = Shared(false)

    init(status: Int?) throws {
        let (fd, port) = try Posix.bindFreeLoopbackPort()
        try Posix.listen(fd, backlog: 16)
        self.fd = fd
        self.port = port
        let stopped = self.stopped
        Thread.detachNewThread {
            while !stopped.value {
                guard (try? Posix.waitUntil(fd, timeoutNanoseconds: 50_000_000)) == true,
                      let client = try? Posix.accept(fd) else { continue }
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = try? Posix.waitUntil(client, timeoutNanoseconds: 1_000_000_000)
                _ = buffer.withUnsafeMutableBytes { try? Posix.read(client, into: $0) }
                if let status {
                    let response = Array("HTTP/1.1 \(status) Whatever\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".utf8)
                    _ = response.withUnsafeBytes { try? Posix.write(client, $0) }
                }
                Posix.close(client)
            }
            Posix.close(fd)
        }
    }

    var address: String { "127.0.0.1:\(port)" }

    func stop() { stopped.update { $0 = true } }
}

/// A topology built from values (no YAML): `web` calls `api`; `api` has v1 ×2 and v2 with
/// behavior; `legacy` is the user's own app.
func sampleTopology(ingressPort: Int = 0) -> Topology {
    let api = Service(name: "api", versions: [
        "v1": ServiceVersion(name: "v1", replicas: 2),
        "v2": ServiceVersion(name: "v2", replicas: 1, behavior: Behavior(errorRate: 12.5, latency: .milliseconds(50))),
    ])
    let legacy = Service(name: "legacy", app: AppSpec(command: ["python3", "app.py", "--port", "{port}"], ready: "/healthz",
                                                      env: ["LOG_LEVEL": "debug", "SELF": "http://127.0.0.1:{port}/"]))
    return Topology(name: "shop", ingress: IngressSettings(port: ingressPort), services: [
        "web": Service(name: "web", calls: ["api"]),
        "api": api,
        "legacy": legacy,
    ])
}
