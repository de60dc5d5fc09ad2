import MeshTopology
import Testing

/// The instances the orchestrator starts, their ids and identities.
@Suite struct InstanceTests {
    @Test func everyInstanceWithStableID() throws {
        let topology = try topology(shopWithVersions())
        #expect(topology.instances.map(\.id) == ["web-v1-0", "api-v1-0", "db-v1-0", "db-v1-1", "db-v2-0"])
        let second = topology.instances[3]
        #expect(second.service == "db" && second.version == "v1" && second.index == 1)
        #expect(second.identity == "spiffe://meshbed.local/ns/shop/sa/db")
        #expect(topology.instances(of: "db", version: "v1").map(\.id) == ["db-v1-0", "db-v1-1"])
        #expect(topology.instances(of: "db").count == 3)
    }

    @Test func identityUsesTrustDomainAndTopologyName() throws {
        let topology = try topology(shop(services: ["web": [:]], [("mesh", ["trustDomain": "corp.example"])]))
        #expect(topology.identity(of: "web") == "spiffe://corp.example/ns/shop/sa/web")
        #expect(topology.instances.map(\.identity) == ["spiffe://corp.example/ns/shop/sa/web"])
    }

    @Test func collidingInstanceIDsAreRejected() {
        // 3: services:, 4: a:, 5: versions:, 6: v1-0: {}, 7: a-v1:, 8: versions:, 9: "0": {}
        let doc = shop(services: ["a": ["versions": ["v1-0": [:]]], "a-v1": ["versions": ["0": [:]]]])
        #expect(diagnostic(doc) == "9:7: instance id 'a-v1-0-0' of service 'a-v1' version '0' is also an instance id of service 'a' version 'v1-0'; rename one")
    }
}
