import MeshConfig
import MeshHTTPIO
import MeshIO
import MeshTLS
import MeshTLSIO

/// How a sidecar's connections with its peers are carried. With mTLS in the snapshot, its
/// inbound port speaks TLS 1.3 with its workload certificate and asks every caller for a mesh
/// certificate (`strict`: TLS only; `permissive`: TLS or plaintext, told apart by the first
/// bytes), and the connections its pool opens to a peer's inbound port are TLS sessions that
/// accept only the destination service's identity. Connections to its own app, and everything
/// when mTLS is disabled, stay plain TCP with nothing in between. The TLS contexts are read
/// per new connection, so a renewed certificate takes over without touching open ones.
/// Refused handshakes are counted (`tlsRejected`) and logged with their reason.
enum MeshTransport {
    /// The inbound listener's stream wrapper (nil result: plain TCP).
    static func inbound(identity: WorkloadIdentity?, states: [ObjectIdentifier: ProxyLoopState], log: RejectionLog)
        -> @Sendable (TCPConnection) -> (any ByteStream & ByteStreamHandler)?
    {
        { connection in
            guard let state = states[ObjectIdentifier(connection.loop)] else { return nil }
            let table = state.routingTable
            guard let security = table.security else { return nil }
            let mtls = security.mtls
            let counters = state.counters
            guard let credentials = identity?.credentials else {
                // No certificate yet: plaintext, which the exchange refuses under strict mTLS.
                counters.inboundPlaintext.add(1, ordering: .relaxed)
                return nil
            }
            let verifier = MeshIdentityVerifier(trustDomain: mtls.trustDomain, namespace: security.namespace)
            let acceptor = TLSAcceptor(
                context: credentials.server, mode: mtls.mode == .strict ? .strict : .permissive,
                peerCheck: { verifier.refusal($0) },
                onAccepted: { transport in
                    if transport == .tls {
                        counters.inboundTLS.add(1, ordering: .relaxed)
                    } else {
                        counters.inboundPlaintext.add(1, ordering: .relaxed)
                    }
                },
                onHandshakeFailure: { reason in
                    counters.tlsRejected.add(1, ordering: .relaxed)
                    log.note("inbound handshake refused: \(reason)")
                })
            return acceptor.wrap(connection)
        }
    }

    /// The pool's way to open a connection on `state`'s loop: TLS to a peer sidecar (whose
    /// certificate must carry the identity of the service the address belongs to) when the
    /// mesh uses mTLS, plain TCP otherwise and to the local app.
    static func connector(identity: WorkloadIdentity?, state: ProxyLoopState, log: RejectionLog)
        -> (SocketAddress, EventLoop) throws(IOError) -> HTTPClientConnection
    {
        { address, loop throws(IOError) in
            let table = state.routingTable
            if let links = table.links, links.partitioned.contains(address) {
                // A partition: the connection cannot be made (the attempt fails to connect).
                state.counters.partitioned.add(1, ordering: .relaxed)
                throw IOError.protocolFailure("partitioned from \(address) by an injected fault")
            }
            guard let security = table.security, let service = security.serviceByAddress[address] else {
                guard table.links != nil else { return try HTTPClientConnection.connect(to: address, on: loop) }
                let tcp = try TCPConnection.connect(to: address, on: loop, handler: nil)
                return HTTPClientConnection(address: address, stream: try state.stream(over: tcp, to: address))
            }
            guard let credentials = identity?.credentials else {
                // No certificate yet: no peer would accept us. Fails like a refused connection.
                throw IOError.protocolFailure("mTLS: no workload certificate yet")
            }
            let verifier = MeshIdentityVerifier(trustDomain: security.mtls.trustDomain, namespace: security.namespace)
            let counters = state.counters
            let tcp = try TCPConnection.connect(to: address, on: loop, handler: nil)
            // Link faults act on the bytes of the wire, under TLS.
            let session = TLSStream(lower: try state.stream(over: tcp, to: address), context: credentials.client,
                                    peerCheck: { verifier.refusal($0, expectedService: service) })
            session.onHandshakeFailure = { reason in
                counters.tlsRejected.add(1, ordering: .relaxed)
                log.note("handshake with \(service) at \(address) refused: \(reason)")
            }
            return HTTPClientConnection(address: address, stream: session)
        }
    }
}
