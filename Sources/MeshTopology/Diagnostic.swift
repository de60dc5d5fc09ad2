import MeshCore
import MeshYAML

/// One mistake in a file: where it is and what is wrong, printed as `FILE:LINE:COLUMN: message`.
public struct Diagnostic: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The file as the caller named it (a path, or a label such as `<stdin>`).
    public let file: String
    /// 1-based line of the offending node.
    public let line: Int
    /// 1-based column of the offending node (in Unicode scalars).
    public let column: Int
    /// What is wrong, without the location; one line of plain text (control characters of
    /// quoted input escaped, `DisplayText`).
    public let message: String

    /// A diagnostic; control characters in `file` and `message` (which quote input) are escaped.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = DisplayText.escaped(file)
        self.line = line
        self.column = column
        self.message = DisplayText.escaped(message)
    }

    public init(file: String, mark: YAMLMark, message: String) {
        self.init(file: file, line: mark.line, column: mark.column, message: message)
    }

    /// `FILE:LINE:COLUMN: message`.
    public var description: String { "\(file):\(line):\(column): \(message)" }

    /// `LINE:COLUMN: message`, without the file (for tests and nested reports).
    public var locatedMessage: String { "\(line):\(column): \(message)" }
}
