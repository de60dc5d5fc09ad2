import Foundation
import MeshOrchestrator
import MeshTopology
import Testing

/// Reading topology and scenario files: size limit and unreadable files, one diagnostic each.
@Suite struct TopologyLoaderTests {
    @Test func fileOverTheLimitIsOneErrorWithoutReadingIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("big.yaml")
        let header = "kind: Topology\nname: big\nmesh: {mtls: disabled}\nservices:\n  web: {}\n"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(header.utf8)))
        #expect(TopologyLoader.load(path).map(\.name) == .success("big"))
        let padding = Data(repeating: UInt8(ascii: "#"), count: Topology.maximumFileSize + 1 - header.utf8.count)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(header.utf8) + padding))
        guard case .failure(let errors) = TopologyLoader.load(path) else {
            Issue.record("a file over the limit was accepted")
            return
        }
        #expect(errors.description == "\(path):1:1: \(Topology.tooLargeMessage)")
    }

    @Test func fileAtTheLimitIsRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("full.yaml")
        let header = "kind: Topology\nname: full\nmesh: {mtls: disabled}\nservices:\n  web: {}\n#"
        let padding = Data(repeating: UInt8(ascii: "#"), count: Topology.maximumFileSize - header.utf8.count)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(header.utf8) + padding))
        #expect(TopologyLoader.load(path).map(\.name) == .success("full"))
    }
}
