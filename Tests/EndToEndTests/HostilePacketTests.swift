import Foundation
import MeshTestSupport
import Testing

/// Issue 7, item 1, end to end: one packet holding a valid request and then garbage, or a
/// valid request and then one for a service the mesh does not know, sent to every listener a
/// topology has (ingress, a sidecar's inbound and outbound ports, its admin port, the echo
/// app, the control plane). It used to kill the process it reached; every listener must
/// answer a normal request afterwards.
@Suite(.serialized) struct HostilePacketTests {
    static let packets: [(name: String, bytes: String)] = [
        ("request then garbage", "GET / HTTP/1.1\r\nHost: details\r\n\r\nXYZ\r\n\r\n"),
        ("request then an unknown service", "GET / HTTP/1.1\r\nHost: details\r\n\r\nGET / HTTP/1.1\r\nHost: nosuchservice\r\n\r\n"),
    ]

    @Test
    func pipelinedPacketsAtEveryListener() throws {
        let workspace = try MeshUpTests.Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("packets.yaml", """
            kind: Topology
            name: packets
            mesh:
              mtls: disabled
            services:
              details: {}

            """)
        let up = try workspace.meshbed(["up", file, "--detach"])
        try #require(up.status == 0, "\(up.stdout) \(up.stderr)")
        let status = try MeshUpTests.status(workspace, "packets")
        let instance = try #require((status["instances"] as? [[String: Any]])?.first)
        func address(_ value: Any?) throws -> String { try #require(value as? String) }
        // Each listener with a request it answers with 200 when all is well.
        let listeners: [(name: String, address: String, path: String)] = [
            ("ingress", try address(status["ingress"]), "/"),
            ("sidecar inbound", try address(instance["inbound"]), "/"),
            ("sidecar outbound", try address(instance["outbound"]), "/"),
            ("sidecar admin", try address(instance["admin"]), "/ready"),
            ("echo app", try address(instance["app"]), "/"),
            ("control plane", try address(status["control"]), "/v1/health"),
        ]
        for listener in listeners {
            #expect(normalRequestStatus(listener.address, host: "details", path: listener.path) == 200, "\(listener.name) before")
            for packet in Self.packets {
                // Two answers are due (the second may be an error); then the connection may close.
                guard let reply = try? rawExchange(listener.address, Array(packet.bytes.utf8), responses: 2, within: 10) else {
                    Issue.record("\(listener.name) refused the connection before \(packet.name)")
                    continue
                }
                #expect(reply.statuses.count == 2, "\(listener.name), \(packet.name): \(reply.statuses)")
                #expect(normalRequestStatus(listener.address, host: "details", path: listener.path) == 200,
                        "\(listener.name) after \(packet.name)")
            }
        }
        let pids = try workspace.recordedPIDs("packets")
        #expect(pids.allSatisfy(MeshUpTests.running), "a process died")
        #expect(try workspace.meshbed(["down", "packets"]).status == 0)
        #expect(pids.filter(MeshUpTests.running).isEmpty, "survivors: \(pids.filter(MeshUpTests.running))")
    }
}
