import MeshOrchestrator
import Testing

/// Issue 7, item 14: an orchestrator error quotes names and paths from the user; it stays
/// one line and cannot colour the terminal.
@Suite struct OrchestratorErrorTests {
    @Test func messagesAreOneLineWithControlCharactersEscaped() {
        let error = OrchestratorError.badInput("no topology 'a\nb\u{1B}[31mred' in /tmp/x\r\ny")
        #expect(error.exitCode == 2)
        #expect(error.description == "no topology 'a b\\u{1B}[31mred' in /tmp/x y")  // "\r\n" is one Character
    }
}
