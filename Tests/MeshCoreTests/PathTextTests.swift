import MeshCore
import Testing

/// Path components as NSString's path methods gave them (meshbed no longer links them).
@Suite struct PathTextTests {
    @Test func lastComponent() {
        #expect(PathText.lastComponent("a/b.yaml") == "b.yaml")
        #expect(PathText.lastComponent("/a/b") == "b")
        #expect(PathText.lastComponent("/a/b/") == "b")
        #expect(PathText.lastComponent("b.yaml") == "b.yaml")
        #expect(PathText.lastComponent("/") == "/")
        #expect(PathText.lastComponent("") == "")
    }

    @Test func deletingLastComponent() {
        #expect(PathText.deletingLastComponent("a/b.yaml") == "a")
        #expect(PathText.deletingLastComponent("topologies/x/b.yaml") == "topologies/x")
        #expect(PathText.deletingLastComponent("b.yaml") == "")
        #expect(PathText.deletingLastComponent("/b") == "/")
        #expect(PathText.deletingLastComponent("/a/b/") == "/a")
        #expect(PathText.deletingLastComponent("/a//b") == "/a")
        #expect(PathText.deletingLastComponent("/") == "/")
        #expect(PathText.deletingLastComponent("") == "")
    }

    @Test func appending() {
        #expect(PathText.appending("a", "b") == "a/b")
        #expect(PathText.appending("a/", "b") == "a/b")
        #expect(PathText.appending("/", "b") == "/b")
        #expect(PathText.appending("", "b") == "b")
        #expect(PathText.appending("/state/ca", "root-cert.pem") == "/state/ca/root-cert.pem")
    }
}
