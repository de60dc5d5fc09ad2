/// Why a network could not be made, read or changed: one line, with what the tool said.
public struct NetworkError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
