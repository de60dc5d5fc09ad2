/// A toxic's settings refused by `Toxic.validate`, with a one-line reason for the user.
public struct ToxicError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in one line (names the toxic and the setting).
    public let message: String

    /// An error saying `message`.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
