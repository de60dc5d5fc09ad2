/// What `Posix.spawn` starts: a program, its arguments and environment, and where its
/// output goes.
///
/// Every child starts with standard input from `inputPath` (`/dev/null` when nil), standard output and error
/// appended to `outputPath`, no other inherited descriptors (but `passedDescriptor`, as 3), an empty signal mask and the
/// default dispositions for SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE (a supervisor that
/// blocks or ignores them must not pass that on).
public struct SpawnRequest: Sendable, Equatable {
    /// The program: a path (with a `/`), or a name looked up in `PATH`.
    public var executable: String
    /// The arguments after `argv[0]`.
    public var arguments: [String]
    /// The whole environment, `NAME=value` each.
    public var environment: [String]
    /// The file standard output and error are appended to (created if missing); `/dev/null` when nil.
    public var outputPath: String?
    /// Make the child the leader of a new process group (so the group can be signalled at once).
    public var newProcessGroup: Bool
    /// Make the child the leader of a new session, away from the caller's terminal.
    public var newSession: Bool
    /// The file standard input is read from; `/dev/null` when nil.
    public var inputPath: String?
    /// A descriptor of the caller's that the child gets as descriptor 3 (say, a lock it
    /// takes over); nil: the child gets nothing beyond 0, 1 and 2. Must not be 0...3.
    public var passedDescriptor: Int32?

    public init(
        executable: String, arguments: [String] = [], environment: [String] = [], outputPath: String? = nil,
        newProcessGroup: Bool = true, newSession: Bool = false,
        passedDescriptor: Int32? = nil, inputPath: String? = nil
    ) {
        self.inputPath = inputPath
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.outputPath = outputPath
        self.newProcessGroup = newProcessGroup
        self.newSession = newSession
        self.passedDescriptor = passedDescriptor
    }
}
