import Foundation
import MeshOrchestrator
import MeshTopology
import Testing

/// The shipped demo topology loads and means what its comments say.
@Suite struct BookinfoTopologyTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("topologies/bookinfo.yaml").path

    @Test func bookinfoIsValid() throws {
        let topology = try TopologyLoader.load(Self.path).get()
        #expect(topology.name == "bookinfo")
        #expect(topology.mesh.mtls == .strict)
        #expect(topology.instances.map(\.id) == [
            "productpage-v1-0", "details-v1-0", "reviews-v1-0", "reviews-v2-0", "reviews-v3-0", "ratings-v1-0",
        ])
        #expect(topology.services["productpage"]?.callees == ["details", "reviews"])
        let reviews = try #require(topology.services["reviews"])
        #expect(reviews.versions["v1"]?.calls == [])
        #expect(reviews.versions["v2"]?.calls == ["ratings"])
        #expect(reviews.versions["v3"]?.calls == ["ratings"])
    }

    @Test func unreadableFilesAreDiagnostics() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        guard case .failure(let missing) = TopologyLoader.load(directory.file("none.yaml")) else {
            Issue.record("a missing file must fail")
            return
        }
        #expect(missing.description == "\(directory.file("none.yaml")):1:1: cannot read: no such file")
        guard case .failure(let folder) = TopologyLoader.load(directory.path) else {
            Issue.record("a directory must fail")
            return
        }
        #expect(folder.description.hasSuffix("cannot read: is a directory"))
    }
}
