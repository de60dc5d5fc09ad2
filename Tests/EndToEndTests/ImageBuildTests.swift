import Foundation
import MeshTestSupport
import Testing

/// Podman, if installed and answering (`podman version`).
private let podman: String? = {
    guard let path = ["/usr/bin/podman", "/usr/local/bin/podman"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
          (try? Harness.run(path, ["version"], timeout: 30).status) == 0 else { return nil }
    return path
}()

/// `meshbed image build`: a `FROM scratch` image of the binary and its libraries that runs
/// meshbed (an echo app serving from inside it) and nothing else (no shell). Needs Podman
/// (`.ci/run` installs and configures it); skipped with that reason elsewhere.
@Suite(.serialized, .enabled(if: podman != nil, "needs podman (apt-get install podman runc)"))
struct ImageBuildTests {
    @Test func theImageRunsMeshbedAndNothingElse() throws {
        let engine = try #require(podman)
        let tag = "localhost/meshbed-test:\(getpid())"
        let name = "meshbed-test-echo-\(getpid())"
        defer {
            _ = try? Harness.run(engine, ["rm", "-f", name], timeout: 30)
            _ = try? Harness.run(engine, ["rmi", "-f", tag], timeout: 30)
        }
        let build = try Harness.run(Harness.meshbed, ["image", "build", "--engine", "podman", "--tag", tag], timeout: 300)
        #expect(build.status == 0, "\(build.stderr)")
        #expect(build.stdout.hasPrefix("image \(tag) built with podman: ") && build.stdout.contains(" files, "), "\(build.stdout)")

        let help = try Harness.run(engine, ["run", "--rm", tag, "help"], timeout: 60)
        #expect(help.status == 0 && help.stdout.contains("usage: meshbed COMMAND"), "\(help.stdout)\(help.stderr)")
        let shell = try Harness.run(engine, ["run", "--rm", "--entrypoint", "/bin/sh", tag, "-c", "true"], timeout: 60)
        #expect(shell.status != 0, "the image has a shell")
        let size = try Harness.run(engine, ["image", "inspect", "--format", "{{.Size}}", tag], timeout: 30).stdout
        #expect((Int(size.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .max) < 200_000_000, "\(size)")

        // An echo app serving from inside the image (on the host's network: no engine network needed).
        let port = try Self.freePort()
        // In the foreground, in the background of the test (the engine's monitor would hold a
        // detached run's output open, and a run to completion would never see its end).
        let harness = Harness()
        let (client, _) = try harness.startBackground(engine, ["run", "--rm", "--name", name, "--network", "host", tag,
                                                               "echo", "--port", String(port), "--service", "boxed"])
        defer { client.terminate() }
        #expect(eventually(within: 30) {
            (try? MeshUpTests.curl(["-m", "2", "http://127.0.0.1:\(port)/"]))?.contains("x-meshbed-service: boxed") == true
        })
    }

    @Test func mistakesAreUsageErrors() throws {
        for (arguments, message) in [
            (["image", "build", "--engine", "lxc"], "--engine: expected podman or docker, got 'lxc'"),
            (["image"], "image: expected 'build'"),
            (["image", "push"], "image: unknown subcommand 'push' (expected 'build')"),
        ] {
            let result = try Harness.run(Harness.meshbed, arguments, timeout: 30)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    static func freePort() throws -> Int {
        let result = try Harness.run("python3", ["-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"], timeout: 10)
        return try #require(Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
