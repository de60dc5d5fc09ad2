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

    @Test func controlCharactersAreEscaped() {
        let error = UsageError("bad\nvalue\r\nhere")
        #expect(error.message == "bad\\nvalue\\r\\nhere")
        #expect(!error.description.contains { $0.isNewline })
        let coloured = UsageError("--to: unknown service '\u{1B}[31mred\u{1B}[0m\u{85}'")
        #expect(coloured.message == "--to: unknown service '\\u{1B}[31mred\\u{1B}[0m\\u{85}'")
    }
}
