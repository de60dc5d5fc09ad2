/// How a child process ended, as `waitpid` reports it.
public enum ChildStatus: Sendable, Equatable, CustomStringConvertible {
    /// It called `exit` (or returned from main) with this status.
    case exited(Int32)
    /// A signal ended it.
    case signaled(Int32)

    /// Decodes a `waitpid` status word (the `WIFEXITED`/`WTERMSIG` macros, which Swift cannot import).
    init?(waitStatus status: Int32) {
        let low = status & 0x7f
        if low == 0 {
            self = .exited((status >> 8) & 0xff)
        } else if low != 0x7f {
            self = .signaled(low)
        } else {
            return nil  // stopped or continued: still alive
        }
    }

    /// `exited with status 1` or `killed by SIGKILL`.
    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "killed by \(ProcessSignal.name(of: signal))"
        }
    }
}
