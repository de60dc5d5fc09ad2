import MeshTLS
import Testing

/// A root and the helpers the suites share: credentials for services, engine pairs, pumping.
struct MeshPKI {
    let issuer: CertificateIssuer

    init() throws {
        issuer = try CertificateIssuer.generateRoot(lifetime: .seconds(3600))
    }

    static func spiffe(_ service: String) -> String { "spiffe://meshbed.local/ns/t/sa/\(service)" }

    func credential(_ service: String) throws -> PEMCredential {
        try issuer.issueCredential(spiffeID: Self.spiffe(service), lifetime: .seconds(600))
    }

    func context(_ role: TLSConfiguration.Role, _ service: String) throws -> TLSContext {
        try TLSContext(configuration: TLSConfiguration(role: role, credential: credential(service), trustedRoots: issuer.root.certificateChain))
    }

    /// A client for `client` and a server for `server`, both trusting this root.
    func engines(client: String = "frontend", server: String = "backend") throws -> (client: TLSEngine, server: TLSEngine) {
        (try TLSEngine(context: context(.client, client)), try TLSEngine(context: context(.server, server)))
    }
}

/// Carries ciphertext between two engines until neither has any pending; returns how many
/// bytes went each way. Throws whatever an engine throws on receiving.
@discardableResult
func pump(_ client: TLSEngine, _ server: TLSEngine) throws -> (toServer: Int, toClient: Int) {
    var toServer = 0, toClient = 0
    var buffer: [UInt8] = []
    for _ in 0..<100 {
        buffer.removeAll(keepingCapacity: true)
        let up = client.takeCiphertext(into: &buffer)
        if up > 0 { try server.receive(buffer) }
        buffer.removeAll(keepingCapacity: true)
        let down = server.takeCiphertext(into: &buffer)
        if down > 0 { try client.receive(buffer) }
        toServer += up
        toClient += down
        if up == 0 && down == 0 { return (toServer, toClient) }
    }
    Issue.record("the engines kept exchanging bytes for 100 rounds")
    return (toServer, toClient)
}

/// Runs the handshake between `client` and `server` to completion (or the first error).
func handshake(_ client: TLSEngine, _ server: TLSEngine) throws {
    try client.handshake()
    try pump(client, server)
}

/// All the plaintext `engine` can decrypt now.
@discardableResult
func readAll(_ engine: TLSEngine) throws -> [UInt8] {
    var bytes: [UInt8] = []
    try engine.readPlaintext(into: &bytes)
    return bytes
}
