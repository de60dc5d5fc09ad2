import MeshOrchestrator
import Testing

/// `--runtime` and `--engine` as `up`, `run` and `test` read them.
@Suite struct RuntimeTests {
    @Test func namesAndEngines() throws {
        #expect(try Runtime.parse("process", engine: nil) == .process)
        #expect(try Runtime.parse("netns", engine: nil) == .netns)
        #expect(try Runtime.parse("container", engine: nil) == .container(nil))
        #expect(try Runtime.parse("container", engine: "docker") == .container(.docker))
        #expect(Runtime.container(.podman).arguments == ["--runtime", "container", "--engine", "podman"])
        #expect(Runtime.container(nil).arguments == ["--runtime", "container"] && Runtime.process.arguments.isEmpty)
        #expect(Runtime.netns.isolated && !Runtime.process.isolated && Runtime.container(nil).name == "container")
    }

    @Test func mistakes() {
        for (name, engine, message) in [
            ("docker", nil, "--runtime: expected process, netns or container, got 'docker'"),
            ("container", "rkt", "--engine: expected podman or docker, got 'rkt'"),
            ("netns", "podman", "--engine chooses the container engine: it goes with --runtime container"),
        ] as [(String, String?, String)] {
            #expect(throws: OrchestratorError.badInput(message)) { try Runtime.parse(name, engine: engine) }
        }
    }
}
