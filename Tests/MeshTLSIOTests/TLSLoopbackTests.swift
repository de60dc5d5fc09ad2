import Foundation
import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshTLS
import MeshTLSIO
import MeshTestSupport
import Testing

/// HTTP over TLS on loopback with real peers: curl with a mesh-issued client certificate,
/// `openssl s_client` without one, meshbed's own HTTP client over a `TLSStream`, and one
/// permissive port taking both plaintext and TLS.
@Suite(.serialized) struct TLSLoopbackTests {
    let pki: TestPKI
    let files: CredentialFiles

    init() throws {
        pki = try TestPKI()
        files = try CredentialFiles(pki: pki, client: "frontend")
    }

    /// An HTTP server on 127.0.0.1:0 whose connections run on `acceptor`'s streams.
    /// A running server, what its app saw and what its acceptor reported.
    struct Serving {
        let group: EventLoopGroup
        let server: HTTPServer
        var address: SocketAddress { server.address }
        func stop() {
            server.shutdown()
            group.shutdown()
        }
    }

    /// An HTTP server on loopback behind a TLS acceptor in `mode`, on a loop of its own.
    func serving(_ mode: TLSAcceptor.Mode) throws -> (Serving, AppRecord, AcceptEvents) {
        let group = try EventLoopGroup(threads: 1)
        let app = AppRecord(), events = AcceptEvents()
        do {
            let server = try makeServer(group: group, acceptor: acceptor(mode, events), app: app)
            return (Serving(group: group, server: server), app, events)
        } catch {
            group.shutdown()
            throw error
        }
    }

    func makeServer(group: EventLoopGroup, acceptor: TLSAcceptor, app: AppRecord) throws -> HTTPServer {
        try HTTPServer(group: group, address: SocketAddress("127.0.0.1:0")!,
                       configuration: HTTPServerConfiguration(streamWrapper: acceptor.streamWrapper)) { _ in
            HelloApp(record: app)
        }
    }

    func acceptor(_ mode: TLSAcceptor.Mode, _ events: AcceptEvents) throws -> TLSAcceptor {
        TLSAcceptor(context: try pki.context(.server, "backend"), mode: mode,
                    peerCheck: { $0.uris.count == 1 ? nil : "expected exactly one URI SAN" },
                    onAccepted: { transport in events.transports.update { $0.append(transport) } },
                    onHandshakeFailure: { reason in events.failures.update { $0.append(reason) } })
    }

    @Test func curlWithAMeshCertificateReachesTheApp() throws {
        let (server, app, events) = try serving(.strict)
        defer { server.stop() }
        let port = server.address.port
        // -k: the mesh's leaf names a SPIFFE URI, not 127.0.0.1; the server checks curl's certificate.
        let result = runTool(["curl", "-sS", "--max-time", "10", "-k", "--cacert", files.root, "--cert", files.certificate,
                              "--key", files.key, "https://127.0.0.1:\(port)/hello"])
        #expect(result.output == "hello /hello from spiffe://meshbed.local/ns/t/sa/frontend")
        #expect(app.requests.value == ["GET /hello"])
        #expect(events.transports.value == [.tls])
        #expect(events.failures.value == [])
    }

    @Test func opensslWithoutACertificateIsRefusedBeforeTheApp() throws {
        let (server, app, events) = try serving(.strict)
        defer { server.stop() }
        let port = server.address.port
        // TLS 1.3: the client may think its handshake done and send the request; the server
        // refuses the missing certificate before any of it reaches HTTP.
        let result = runTool(["openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-tls1_3", "-CAfile", files.root],
                             input: Array("GET /secret HTTP/1.1\r\nhost: x\r\n\r\n".utf8), keepInputOpen: true)
        #expect(!result.timedOut, "s_client ends when the server refuses it")
        #expect(eventually { events.failures.value.count == 1 })
        #expect(events.failures.value.first?.contains("certificate") == true)
        #expect(app.requests.value == [])
        #expect(!result.output.contains("HTTP/1.1"))
    }

    @Test func plaintextToAStrictPortIsRefused() throws {
        let (server, app, events) = try serving(.strict)
        defer { server.stop() }
        let result = runTool(["curl", "-sS", "--max-time", "10", "http://127.0.0.1:\(server.address.port)/plain"])
        #expect(result.status != 0)
        #expect(eventually { events.failures.value.count == 1 })
        #expect(app.requests.value == [])
    }

    @Test func meshbedsClientSpeaksHTTPOverATLSStream() throws {
        let (server, app, _) = try serving(.strict)
        defer { server.stop() }
        let clientContext = try pki.context(.client, "frontend")
        let address = server.address
        let loop = server.group.loops[0]
        let response = Shared(ClientResponse())
        let identity = Shared<[String]?>(nil)
        let started = onLoop(loop) { () -> Bool in
            guard let tls = try? TLSStream.connect(to: address, on: loop, context: clientContext, peerCheck: { certificate in
                identity.update { $0 = certificate.uris }
                return certificate.uris == [TestPKI.spiffe("backend")] ? nil : "not backend"
            }) else { return false }
            let client = HTTPClientConnection(address: address, stream: tls)
            // Sent at once: the request waits in the TLS stream until the handshake completed.
            let request = Array("GET /one HTTP/1.1\r\nhost: backend\r\n\r\n".utf8)
            let recorder = ResponseCollector(response: response) { connection in
                let second = Array("GET /two HTTP/1.1\r\nhost: backend\r\nconnection: close\r\n\r\n".utf8)
                second.withUnsafeBytes { connection.send($0, handler: ResponseCollector(response: response, next: nil)) }
            }
            request.withUnsafeBytes { client.send($0, handler: recorder) }
            return true
        }
        #expect(started == true)
        #expect(eventually { response.value.ends == 2 || !response.value.failures.isEmpty })
        #expect(response.value.statuses == [200, 200])
        #expect(response.value.body == "hello /one from \(TestPKI.spiffe("frontend"))hello /two from \(TestPKI.spiffe("frontend"))")
        #expect(response.value.failures == [])
        #expect(identity.value == [TestPKI.spiffe("backend")])
        #expect(app.requests.value == ["GET /one", "GET /two"])
    }

    @Test func aRefusedConnectIsReportedAsOneNotAsATLSFailure() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let refusing = try reserveRefusingPort()
        defer { Posix.close(refusing.fd) }
        let clientContext = try pki.context(.client, "frontend")
        let loop = group.loops[0]
        let failure = Shared<HTTPClientError?>(nil)
        let started = onLoop(loop) { () -> Bool in
            guard let tls = try? TLSStream.connect(to: refusing.address, on: loop, context: clientContext) else { return false }
            let client = HTTPClientConnection(address: refusing.address, stream: tls)
            let request = Array("GET / HTTP/1.1\r\nhost: x\r\n\r\n".utf8)
            request.withUnsafeBytes { client.send($0, handler: FailureCollector(failure: failure)) }
            return true
        }
        #expect(started == true)
        #expect(eventually { failure.value != nil })
        guard case .connectFailed(let error) = failure.value else {
            Issue.record("expected connectFailed")
            return
        }
        #expect(error.isConnectionRefused)
    }

    @Test func aPermissivePortTakesPlaintextAndTLSAndSaysWhich() throws {
        let (server, app, events) = try serving(.permissive)
        defer { server.stop() }
        let port = server.address.port
        let plain = runTool(["curl", "-sS", "--max-time", "10", "http://127.0.0.1:\(port)/plain"])
        #expect(plain.output == "hello /plain from plaintext")
        let tls = runTool(["curl", "-sS", "--max-time", "10", "-k", "--cert", files.certificate, "--key", files.key,
                           "https://127.0.0.1:\(port)/tls"])
        #expect(tls.output == "hello /tls from \(TestPKI.spiffe("frontend"))")
        #expect(app.requests.value == ["GET /plain", "GET /tls"])
        #expect(events.transports.value == [.plaintext, .tls])
        // TLS on a permissive port is still mutual: no certificate, no request.
        let anonymous = runTool(["curl", "-sS", "--max-time", "10", "-k", "https://127.0.0.1:\(port)/anonymous"])
        #expect(anonymous.status != 0)
        #expect(eventually { events.failures.value.count == 1 })
        #expect(app.requests.value == ["GET /plain", "GET /tls"])
    }
}

// MARK: support

/// What the app saw.
final class AppRecord: Sendable {
    let requests = Shared<[String]>([])
}

/// What the acceptor reported.
final class AcceptEvents: Sendable {
    let transports = Shared<[SniffingStream.Transport]>([])
    let failures = Shared<[String]>([])
}

/// Answers "hello PATH from PEER", PEER the client's SPIFFE id (or "plaintext").
final class HelloApp: HTTPRequestHandler {
    private let record: AppRecord
    private var path = ""

    init(record: AppRecord) {
        self.record = record
    }

    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {
        path = String(decoding: head.path, as: UTF8.self)
        let method = String(decoding: head.methodBytes, as: UTF8.self)
        record.requests.update { $0.append("\(method) \(path)") }
    }

    func requestEnd(on exchange: HTTPServerConnection) {
        exchange.respond(status: 200, body: Array("hello \(path) from \(Self.peer(of: exchange))".utf8))
    }

    /// The identity of the connection's peer, read from the stream HTTP runs on.
    static func peer(of exchange: HTTPServerConnection) -> String {
        let stream = exchange.byteStream
        let tls = (stream as? TLSStream) ?? (stream as? SniffingStream)?.tls
        return tls?.peerCertificate?.uris.first ?? "plaintext"
    }
}

/// One or more responses, as the client saw them.
struct ClientResponse: Sendable {
    var statuses: [Int] = []
    var body = ""
    var ends = 0
    var failures: [String] = []
}

/// Collects a response; `next` runs on the loop after it ended (to send another request).
final class ResponseCollector: HTTPClientResponseHandler {
    let response: Shared<ClientResponse>
    let next: ((HTTPClientConnection) -> Void)?

    init(response: Shared<ClientResponse>, next: ((HTTPClientConnection) -> Void)?) {
        self.response = response
        self.next = next
    }

    func responseHead(_ head: HTTPResponseHead, on connection: HTTPClientConnection) {
        response.update { $0.statuses.append(head.status) }
    }

    func responseBody(_ bytes: UnsafeRawBufferPointer, on connection: HTTPClientConnection) {
        response.update { $0.body += String(decoding: bytes, as: UTF8.self) }
    }

    func responseEnd(on connection: HTTPClientConnection) {
        response.update { $0.ends += 1 }
        next?(connection)
    }

    func exchangeFailed(_ error: HTTPClientError, on connection: HTTPClientConnection) {
        response.update { $0.failures.append("\(error)") }
    }
}

/// Keeps the first failure of an exchange.
final class FailureCollector: HTTPClientResponseHandler {
    let failure: Shared<HTTPClientError?>

    init(failure: Shared<HTTPClientError?>) {
        self.failure = failure
    }

    func responseHead(_ head: HTTPResponseHead, on connection: HTTPClientConnection) {}
    func responseEnd(on connection: HTTPClientConnection) {}
    func exchangeFailed(_ error: HTTPClientError, on connection: HTTPClientConnection) {
        failure.update { $0 = $0 ?? error }
    }
}

/// The root, and a client credential, written as PEM files to a fresh temporary directory
/// (removed when the value is released).
final class CredentialFiles: Sendable {
    let directory: String
    let root: String
    let certificate: String
    let key: String

    init(pki: TestPKI, client: String) throws {
        directory = NSTemporaryDirectory() + "meshbed-tlsio-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        root = directory + "/root.pem"
        certificate = directory + "/client.pem"
        key = directory + "/client.key"
        let credential = try pki.credential(client)
        try Data(pki.issuer.root.certificateChain).write(to: URL(fileURLWithPath: root))
        try Data(credential.certificateChain).write(to: URL(fileURLWithPath: certificate))
        try Data(credential.privateKey).write(to: URL(fileURLWithPath: key))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// How a tool run ended.
struct ToolResult {
    var status: Int32
    var output: String
    var timedOut: Bool
}

/// Runs `arguments` (found on PATH), feeding `input` on stdin (kept open until the tool exits
/// when `keepInputOpen`), and returns its stdout; a tool still running after `timeout` seconds
/// is killed (and the result says so). stderr is discarded.
func runTool(_ arguments: [String], input: [UInt8] = [], keepInputOpen: Bool = false, timeout: Double = 20) -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let out = Pipe(), stdin = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    process.standardInput = stdin
    guard (try? process.run()) != nil else { return ToolResult(status: -1, output: "", timedOut: false) }
    if !input.isEmpty { stdin.fileHandleForWriting.write(Data(input)) }
    if !keepInputOpen { try? stdin.fileHandleForWriting.close() }
    let reader = Shared(Data())
    let done = Shared(false)
    let handle = out.fileHandleForReading
    let thread = Thread {
        let data = handle.readDataToEndOfFile()
        reader.update { $0 = data }
        done.update { $0 = true }
    }
    thread.start()
    let exited = eventually(within: timeout) { !process.isRunning }
    if !exited {
        process.terminate()
    }
    process.waitUntilExit()
    try? stdin.fileHandleForWriting.close()
    _ = eventually(within: 5) { done.value }
    return ToolResult(status: process.terminationStatus, output: String(decoding: reader.value, as: UTF8.self), timedOut: !exited)
}
