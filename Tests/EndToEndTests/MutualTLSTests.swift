import Foundation
import Glibc
import MeshTestSupport
import Testing

/// Mutual TLS with real peers (issue 9): curl and `openssl s_client` against the inbound port
/// of a sidecar in a running strict topology (`web` calls `api`; the port aimed at is api's).
/// Plaintext, a client without a certificate and clients with certificates the mesh must not
/// accept (made here with openssl, some signed by the mesh's own root) are refused, counted in
/// `tlsRejected` and logged with their reason, and none reaches the app; a client certificate
/// the mesh would issue reaches the app, which sees the caller's identity. Rotation: with a
/// 20 s certificate lifetime, traffic through the ingress for over three rotations and through
/// a control-plane stop of 40% of the lifetime, without one failed request.
@Suite(.serialized, .enabled(if: Harness.has("openssl") && Harness.has("curl")))
struct MutualTLSTests {
    typealias Workspace = MeshUpTests.Workspace

    /// A running topology and the sidecar of one of its instances.
    struct Mesh {
        let workspace: Workspace
        let name: String
        /// The instance aimed at (`api-v1-0`).
        let instance: String
        /// Its sidecar's inbound port (`127.0.0.1:PORT`).
        let inbound: String
        /// Its sidecar's admin port.
        let admin: String

        /// The directory of the mesh's CA (`root-cert.pem`, `root-key.pem`).
        var ca: String { "\(workspace.stateDirectory)/\(name)/ca" }
        /// The root as a signer of test certificates.
        var root: Signer { Signer(certificate: ca + "/root-cert.pem", key: ca + "/root-key.pem") }
        /// The sidecar's log file.
        var log: String { "\(workspace.stateDirectory)/\(name)/logs/\(instance).sidecar.log" }
        /// `spiffe://meshbed.local/ns/NAME/sa/SERVICE`.
        func identity(_ service: String) -> String { "spiffe://meshbed.local/ns/\(name)/sa/\(service)" }

        /// The sidecar's `/stats` counters.
        func stats() throws -> [String: Int] {
            let object = try #require(try MutualTLSTests.getJSON("http://\(admin)/stats") as? [String: Any])
            return object.compactMapValues { $0 as? Int }  // the counters; `faults` is an object
        }

        /// Whether the sidecar's log has a refused inbound handshake whose reason contains `reason`.
        func refusalLogged(_ reason: String) -> Bool {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").contains { line in
                guard let refused = line.range(of: "inbound handshake refused: ") else { return false }
                return line[refused.upperBound...].contains(reason)
            }
        }
    }

    /// A certificate and key that sign test certificates.
    struct Signer {
        let certificate: String
        let key: String
    }

    /// A client certificate made here.
    struct Client {
        let certificate: String
        let key: String
    }

    static let request = "GET /from-test HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n"

    // MARK: - Starting a topology

    /// Starts `web` calling `api` with `mesh` and returns api's sidecar.
    static func start(_ workspace: Workspace, name: String = "tls", mesh: String = "{mtls: strict}") throws -> Mesh {
        let file = try workspace.write("\(name).yaml", """
            kind: Topology
            name: \(name)
            mesh: \(mesh)
            services:
              web:
                calls: [api]
              api: {}

            """)
        let up = try workspace.meshbed(["up", file, "--detach"])
        try #require(up.status == 0, "\(up.stderr)")
        let status = try MeshUpTests.status(workspace, name)
        let instances = try #require(status["instances"] as? [[String: Any]])
        let api = try #require(instances.first { ($0["id"] as? String)?.hasPrefix("api-") == true })
        return Mesh(workspace: workspace, name: name, instance: try #require(api["id"] as? String),
                    inbound: try #require(api["inbound"] as? String), admin: try #require(api["admin"] as? String))
    }

    /// Whether `condition` holds within `seconds`, checked every `interval` (its checks start
    /// processes, so not every millisecond as `eventually` does).
    static func holds(within seconds: Double, every interval: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: interval)
        }
        return condition()
    }

    static func getJSON(_ url: String) throws -> Any {
        let result = try Harness.run("curl", ["-s", "-m", "5", url], timeout: 10)
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    // MARK: - Certificates made with openssl

    /// `openssl ARGUMENTS` in `directory`; throws with openssl's first error line.
    @discardableResult
    static func openssl(_ arguments: [String], in directory: String, input: String? = nil) throws -> String {
        let result = try Harness.run("openssl", arguments, input: input.map { Data($0.utf8) }, timeout: 20, directory: directory)
        guard result.status == 0 else {
            throw HarnessError("openssl \(arguments.first ?? ""): \(result.stderr.split(separator: "\n").first ?? "failed")")
        }
        return result.stdout
    }

    /// A self-signed P-256 CA that is not the mesh's.
    static func foreignCA(in directory: String) throws -> Signer {
        try Data("""
            [req]
            distinguished_name = dn
            x509_extensions = ca
            prompt = no
            [dn]
            CN = not the mesh
            [ca]
            basicConstraints = critical,CA:TRUE
            keyUsage = critical,keyCertSign,cRLSign
            subjectKeyIdentifier = hash

            """.utf8).write(to: URL(fileURLWithPath: directory + "/foreign-ca.cnf"))
        try openssl(["req", "-x509", "-config", "foreign-ca.cnf", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", "foreign-ca-key.pem", "-out", "foreign-ca.pem", "-days", "2"], in: directory)
        return Signer(certificate: directory + "/foreign-ca.pem", key: directory + "/foreign-ca-key.pem")
    }

    /// A client certificate for a new P-256 key, signed by `signer`, with these URI SANs, CA
    /// flag and validity (`openssl ca` dates, YYYYMMDDHHMMSSZ; from now for a day by default).
    /// `openssl ca` because 3.0's `x509 -req` cannot set a validity in the past.
    static func client(_ label: String, signer: Signer, uris: [String], isCA: Bool = false,
                       validity: (start: String, end: String)? = nil, in directory: String) throws -> Client {
        let san = uris.map { "URI:\($0)" }.joined(separator: ",")
        try Data("""
            [req]
            distinguished_name = dn
            prompt = no
            [dn]
            CN = \(label)
            [ca]
            default_ca = signer
            [signer]
            database = \(label)-index.txt
            serial = \(label)-serial
            new_certs_dir = .
            default_md = sha256
            default_days = 1
            unique_subject = no
            policy = anything
            email_in_dn = no
            [anything]
            commonName = supplied
            [leaf]
            basicConstraints = critical,CA:\(isCA ? "TRUE" : "FALSE")
            keyUsage = critical,digitalSignature\(isCA ? ",keyCertSign" : "")
            extendedKeyUsage = clientAuth,serverAuth
            subjectAltName = \(san)

            """.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(label).cnf"))
        try Data().write(to: URL(fileURLWithPath: "\(directory)/\(label)-index.txt"))
        try Data("1000\n".utf8).write(to: URL(fileURLWithPath: "\(directory)/\(label)-serial"))
        try openssl(["req", "-new", "-config", "\(label).cnf", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", "\(label)-key.pem", "-out", "\(label).csr"], in: directory)
        var sign = ["ca", "-batch", "-config", "\(label).cnf", "-cert", signer.certificate, "-keyfile", signer.key, "-rand_serial",
                    "-in", "\(label).csr", "-out", "\(label).pem", "-extensions", "leaf", "-notext"]
        if let validity { sign += ["-startdate", validity.start, "-enddate", validity.end] }
        try openssl(sign, in: directory)
        return Client(certificate: "\(directory)/\(label).pem", key: "\(directory)/\(label)-key.pem")
    }

    /// A certificate as `meshbed control` would issue it for `service` of `mesh`.
    static func meshClient(_ mesh: Mesh, service: String) throws -> Client {
        try client(service, signer: mesh.root, uris: [mesh.identity(service)], in: mesh.workspace.path)
    }

    /// An HTTPS request through curl (`-k`: the sidecar's certificate names no host) to the
    /// inbound port, with `client`'s certificate if any: exit status and the whole response.
    static func curlTLS(_ mesh: Mesh, client: Client?) throws -> (status: Int32, response: String) {
        var arguments = ["-s", "-i", "-m", "10", "-k", "-H", "Host: api"]
        if let client { arguments += ["--cert", client.certificate, "--key", client.key] }
        let result = try Harness.run("curl", arguments + ["https://\(mesh.inbound)/from-test"], timeout: 20)
        return (result.status, result.stdout)
    }

    /// `openssl s_client` to the inbound port (with `client`'s certificate if any) sending one
    /// request and reading until the server closes: its whole output.
    static func sClient(_ mesh: Mesh, client: Client?) throws -> String {
        var arguments = ["s_client", "-connect", mesh.inbound, "-showcerts", "-ign_eof"]
        if let client { arguments += ["-cert", client.certificate, "-key", client.key] }
        return try Harness.run("openssl", arguments, input: Data(request.utf8), timeout: 20).stdout
    }

    /// Expects `tlsRejected` to grow by exactly one from `before`; returns the counters then.
    static func expectOneMoreRejection(_ mesh: Mesh, since before: [String: Int], _ label: String = "refusal",
                                       sourceLocation: SourceLocation = #_sourceLocation) -> [String: Int] {
        var after = before
        #expect(eventually(within: 5) {
            after = (try? mesh.stats()) ?? before
            return after["tlsRejected"] == before["tlsRejected"].map { $0 + 1 }
        }, "\(label): tlsRejected \(before["tlsRejected"] ?? -1) -> \(after["tlsRejected"] ?? -1)", sourceLocation: sourceLocation)
        return after
    }

    /// Expects the inbound port to refuse `client` (nil: no certificate) as curl sees it:
    /// no response, one more `tlsRejected`, no request reaching the pipeline (so none reached
    /// the app), and `reason` in the sidecar's log.
    static func expectRefused(_ mesh: Mesh, _ label: String, client: Client?, reason: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try mesh.stats()
        let (status, response) = try curlTLS(mesh, client: client)
        #expect(status != 0 && !response.contains("HTTP/"), "\(label): answered \(response.prefix(200))", sourceLocation: sourceLocation)
        let after = expectOneMoreRejection(mesh, since: before, label, sourceLocation: sourceLocation)
        #expect(after["requests"] == before["requests"], "\(label): a request reached the pipeline", sourceLocation: sourceLocation)
        #expect(eventually(within: 5) { mesh.refusalLogged(reason) }, "\(label): no log line with '\(reason)'", sourceLocation: sourceLocation)
    }

    // MARK: - Refused

    @Test func plaintextToAStrictInboundIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let mesh = try Self.start(workspace)
        defer { _ = try? workspace.meshbed(["down", mesh.name]) }
        let before = try mesh.stats()
        let plain = try Harness.run("curl", ["-s", "-i", "-m", "10", "-H", "Host: api", "http://\(mesh.inbound)/from-test"], timeout: 20)
        #expect(plain.status != 0, "curl exit \(plain.status)")
        #expect(!plain.stdout.contains("HTTP/"), "answered: \(plain.stdout.prefix(200))")
        let after = Self.expectOneMoreRejection(mesh, since: before)
        #expect(after["requests"] == before["requests"], "a plaintext request reached the pipeline")
        #expect(after["inboundPlaintext"] == before["inboundPlaintext"], "strict counts every connection as TLS")
        #expect(eventually(within: 5) { mesh.refusalLogged("http request") }, "no log line saying why")
    }

    @Test func clientWithoutACertificateIsRefusedAndSeesTheSPIFFECertificate() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let mesh = try Self.start(workspace)
        defer { _ = try? workspace.meshbed(["down", mesh.name]) }
        let before = try mesh.stats()
        let output = try Self.sClient(mesh, client: nil)
        #expect(!output.contains("HTTP/1.1"), "answered without a client certificate")
        let after = Self.expectOneMoreRejection(mesh, since: before)
        #expect(after["requests"] == before["requests"], "a request reached the pipeline")
        #expect(eventually(within: 5) { mesh.refusalLogged("peer did not return a certificate") }, "no log line saying why")

        // What the server presented: its workload certificate, first in the chain.
        let begin = try #require(output.range(of: "-----BEGIN CERTIFICATE-----"), "s_client shows no certificate")
        let end = try #require(output.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<output.endIndex))
        let text = try Self.openssl(["x509", "-noout", "-text"], in: workspace.path,
                                    input: String(output[begin.lowerBound..<end.upperBound]) + "\n")
        #expect(text.contains("URI:\(mesh.identity("api"))"), "served certificate lacks the api SPIFFE ID")
        #expect(!text.contains("DNS:") && !text.contains("IP Address:"))
        #expect(text.contains("id-ecPublicKey") && text.contains("Public-Key: (256 bit)") && text.contains("NIST CURVE: P-256"),
                "served key is not P-256")
        #expect(text.contains("CA:FALSE"))
    }

    @Test func certificatesTheMeshMustNotAcceptAreRefused() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let mesh = try Self.start(workspace)
        defer { _ = try? workspace.meshbed(["down", mesh.name]) }
        let directory = workspace.path
        let web = mesh.identity("web")

        // (a) The right identity, from another CA.
        let foreign = try Self.foreignCA(in: directory)
        try Self.expectRefused(mesh, "another CA", client: try Self.client("foreign", signer: foreign, uris: [web], in: directory),
                               reason: "certificate verify failed (certificate verification: unable to get local issuer certificate)")
        // (b) Signed by the mesh root, but not a mesh identity: another trust domain, another
        // namespace (topology), and a URI that is no SPIFFE ID of a service.
        try Self.expectRefused(mesh, "another trust domain",
                               client: try Self.client("domain", signer: mesh.root, uris: ["spiffe://elsewhere.example/ns/\(mesh.name)/sa/web"],
                                                       in: directory),
                               reason: "peer refused: identity spiffe://elsewhere.example/ns/\(mesh.name)/sa/web is not in trust domain meshbed.local")
        try Self.expectRefused(mesh, "another namespace",
                               client: try Self.client("namespace", signer: mesh.root, uris: ["spiffe://meshbed.local/ns/other/sa/web"],
                                                       in: directory),
                               reason: "peer refused: identity spiffe://meshbed.local/ns/other/sa/web is not in namespace \(mesh.name)")
        try Self.expectRefused(mesh, "not a service identity",
                               client: try Self.client("workload", signer: mesh.root, uris: ["spiffe://meshbed.local/workload/web"],
                                                       in: directory),
                               reason: "peer refused: identity: ")
        // (c) Expired: a mesh certificate for web that ended yesterday.
        let day: TimeInterval = 86_400
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "yyyyMMddHHmmss'Z'"
        let expired = try Self.client("expired", signer: mesh.root, uris: [web],
                                      validity: (format.string(from: Date() - 2 * day), format.string(from: Date() - day)), in: directory)
        try Self.expectRefused(mesh, "expired", client: expired, reason: "certificate verify failed (certificate verification: certificate has expired)")
        // (d) A leaf that is a CA.
        try Self.expectRefused(mesh, "CA:TRUE", client: try Self.client("ca-leaf", signer: mesh.root, uris: [web], isCA: true, in: directory),
                               reason: "peer refused: certificate is a CA")
        // (e) Two URI SANs, both mesh identities.
        try Self.expectRefused(mesh, "two URI SANs",
                               client: try Self.client("two-uris", signer: mesh.root, uris: [web, mesh.identity("api")], in: directory),
                               reason: "peer refused: certificate has 2 URI SANs")
        // No certificate at all, through curl too.
        try Self.expectRefused(mesh, "no certificate", client: nil, reason: "peer did not return a certificate")
    }

    // MARK: - Accepted

    @Test func meshIssuedClientCertificateReachesTheApp() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let mesh = try Self.start(workspace)
        defer { _ = try? workspace.meshbed(["down", mesh.name]) }
        let web = try Self.meshClient(mesh, service: "web")
        let before = try mesh.stats()

        let (status, response) = try Self.curlTLS(mesh, client: web)
        #expect(status == 0 && response.hasPrefix("HTTP/1.1 200"), "curl exit \(status): \(response.prefix(300))")
        let head = try #require(response.range(of: "\r\n\r\n"))
        let body = try MeshUpTests.object(String(response[head.upperBound...]))
        #expect(body["service"] as? String == "api")
        #expect(body["path"] as? String == "/from-test")
        let forwarded = (body["headers"] as? [String: String])?["x-forwarded-client-cert"]
        #expect(forwarded == "By=\(mesh.identity("api"));URI=\(mesh.identity("web"))", "\(forwarded ?? "none")")

        // openssl s_client with the same certificate gets an answer too (so its silence
        // without one, above, is the refusal and not the way it is driven).
        let output = try Self.sClient(mesh, client: web)
        #expect(output.contains("HTTP/1.1 200"), "s_client with a mesh certificate got no answer")

        let after = try mesh.stats()
        #expect(after["tlsRejected"] == before["tlsRejected"])
        #expect(after["requests"] == before["requests"].map { $0 + 2 })
        #expect(after["inboundTLS"] == before["inboundTLS"].map { $0 + 2 })
    }

    // MARK: - Rotation

    /// certTTL 20 s: traffic through the ingress (ingress -> web -> api, two mTLS hops) for
    /// over three rotations, then the control plane (the CA) stopped for 8 s (40% of the
    /// lifetime) just before api's sidecar is due to renew; not one request fails, and the
    /// renewal that was due happens once the CA is back.
    @Test func rotationUnderLoadAndWithTheCAStopped() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let mesh = try Self.start(workspace, name: "rotate", mesh: "{mtls: strict, certTTL: 20s}")
        defer { _ = try? workspace.meshbed(["down", mesh.name]) }
        let control = Int32(try #require(try workspace.state(mesh.name)["controlPID"] as? Int))
        let status = try MeshUpTests.status(workspace, mesh.name)
        let admins = try #require(status["instances"] as? [[String: Any]]).compactMap { $0["admin"] as? String }
        #expect(admins.count == 2)
        func certs(_ admin: String) -> [String: Any] { ((try? Self.getJSON("http://\(admin)/certs")) as? [String: Any]) ?? [:] }

        // Open loop at 50 requests/s: bounded in count (at most 3200) and time.
        let duration = 64.0
        let results = ResultBox()
        let finished = DispatchSemaphore(value: 0)
        let started = Date()
        Thread {
            results.append(try? workspace.meshbed(["load", "--to", "web", "--duration", "\(Int(duration))s", "--rate", "50",
                                                   "--concurrency", "8", "--timeout", "10s", "--json"], timeout: duration + 30))
            finished.signal()
        }.start()

        // Over three rotations (renewal at 40-50% of 20 s, so about every 9 s): four
        // certificates at each sidecar, the three last ones issued under traffic.
        var renewals: [Int] = []
        #expect(Self.holds(within: 50, every: 0.5) {
            renewals = admins.map { certs($0)["renewals"] as? Int ?? 0 }
            return renewals.allSatisfy { $0 >= 4 }
        }, "certificates per sidecar: \(renewals)")

        // Stop the CA 13 s before api's certificate ends: its renewal falls due 10-12 s before,
        // inside the outage.
        let formatter = ISO8601DateFormatter()
        var apiCerts = certs(mesh.admin)
        #expect(Self.holds(within: 12, every: 0.1) {
            apiCerts = certs(mesh.admin)
            guard let end = (apiCerts["notAfter"] as? String).flatMap(formatter.date) else { return false }
            return end.timeIntervalSinceNow <= 13
        })
        let renewalsAtStop = apiCerts["renewals"] as? Int ?? 0
        #expect(kill(control, SIGSTOP) == 0)
        defer { kill(control, SIGCONT) }
        Thread.sleep(forTimeInterval: 8)  // the outage itself (40% of certTTL), not a wait for a condition
        let atResume = certs(mesh.admin)
        kill(control, SIGCONT)
        let resumed = Date().timeIntervalSince(started)
        // Still the certificate it had, now past its renewal time: the sidecar kept serving on it.
        #expect(atResume["renewals"] as? Int == renewalsAtStop, "a certificate was issued while the CA was stopped")
        #expect(atResume["notAfter"] as? String == apiCerts["notAfter"] as? String)
        let left = (atResume["notAfter"] as? String).flatMap(formatter.date)?.timeIntervalSinceNow ?? 0
        #expect(left > 0 && left < 10, "\(left) s left at the end of the outage: the renewal did not fall due in it")
        #expect(Self.holds(within: 10, every: 0.1) { (certs(mesh.admin)["renewals"] as? Int ?? 0) > renewalsAtStop },
                "api's sidecar did not renew once the CA was back")
        #expect(resumed < duration - 2, "the load ended too soon after the CA came back (\(resumed) s)")

        #expect(finished.wait(timeout: .now() + duration + 40) == .success)
        let load = try #require(results.values.first ?? nil)
        #expect(load.status == 0, "load exit \(load.status): \(load.stderr.prefix(300))")
        let report = try MeshUpTests.object(load.stdout)
        let responses = report["responses"] as? Int ?? 0
        #expect(report["errors"] as? Int == 0, "errors: \(report["errorsByKind"] ?? "?")")
        #expect(report["status"] as? [String: Int] == ["200": responses], "status: \(report["status"] ?? "?")")
        #expect(responses >= 500, "only \(responses) responses")
    }
}
