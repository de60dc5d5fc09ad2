import MeshIO

/// Where the orchestrator's messages go: standard output for results, standard error for
/// problems, written whole and unbuffered (a detached supervisor's output is its log).
public enum Console {
    /// Writes `text` (and a newline if it lacks one) to standard output.
    public static func out(_ text: String) {
        Posix.writeAll(1, Array((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Writes `text` (and a newline if it lacks one) to standard error.
    public static func error(_ text: String) {
        Posix.writeAll(2, Array((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}
