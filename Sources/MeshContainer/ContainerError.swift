/// Why a container engine could not do what was asked: one line, with what it said.
public struct ContainerError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
