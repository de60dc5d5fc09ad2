import MeshIO

/// The container engine meshbed drives: Podman or Docker, through the commands both share
/// (`build`, `run`, `image inspect`, `rm`), found on this machine (Docker's checked to
/// answer: a client without its daemon does not).
public struct ContainerEngine: Sendable, Equatable {
    /// Which engine.
    public enum Kind: String, Sendable, CaseIterable {
        case podman, docker
    }

    public let kind: Kind
    /// Its executable.
    public let executable: String

    /// Where engines are looked for.
    static let directories = ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
    static let environment = ["PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LC_ALL=C", "HOME=/root"]

    public init(kind: Kind, executable: String) {
        self.kind = kind
        self.executable = executable
    }

    /// `kind`, or the first of Podman and Docker that is installed and answers; the error
    /// says what was tried.
    public static func find(_ kind: Kind? = nil) throws(ContainerError) -> ContainerEngine {
        var tried: [String] = []
        for candidate in kind.map({ [$0] }) ?? Kind.allCases {
            guard let executable = Posix.findExecutable(candidate.rawValue, in: directories) else {
                tried.append("\(candidate.rawValue): not installed")
                continue
            }
            let engine = ContainerEngine(kind: candidate, executable: executable)
            // Podman has no daemon: installed is answering (its own errors come with the first
            // real command). Docker's client may have no daemon to talk to.
            if candidate == .podman { return engine }
            do {
                _ = try engine.run(["version"], timeout: 30)
                return engine
            } catch {
                tried.append("\(candidate.rawValue): \(error.message)")
            }
        }
        throw ContainerError("no container engine answers (\(tried.joined(separator: "; ")))")
    }

    /// `ENGINE ARGUMENTS`' output; throws its failure (with what it said) or a timeout.
    public func run(_ arguments: [String], input: [UInt8] = [], timeout seconds: UInt64 = 120) throws(ContainerError) -> String {
        let result: CommandResult
        do {
            result = try Posix.runCommand(executable, arguments, environment: Self.environment + passedEnvironment, input: input,
                                          timeoutNanoseconds: seconds * 1_000_000_000)
        } catch {
            throw ContainerError("cannot run \(kind.rawValue): \(error)")
        }
        guard result.succeeded else { throw ContainerError(result.failure("\(kind.rawValue) \(arguments.first ?? "")")) }
        return result.output
    }

    /// The caller's `CONTAINERS_CONF` and `DOCKER_HOST`, which choose the engine's settings.
    var passedEnvironment: [String] {
        ["CONTAINERS_CONF", "DOCKER_HOST", "XDG_RUNTIME_DIR"].compactMap { name in Posix.environment(name).map { "\(name)=\($0)" } }
    }
}
