import MeshCLI
import Testing

@Suite struct UsageErrorTests {
    @Test func rendersAsOneMeshbedLine() {
        let error = UsageError("--port: missing value")
        #expect(error.message == "--port: missing value")
        #expect(error.description == "meshbed: --port: missing value")
        #expect("\(error)" == "meshbed: --port: missing value")
        #expect(UsageError.exitCode == 2)
    }

    @Test func lineBreaksBecomeSpaces() {
        let error = UsageError("bad\nvalue\r\nhere")
        #expect(error.message == "bad value here")
        #expect(!error.description.contains { $0.isNewline })
    }
}
