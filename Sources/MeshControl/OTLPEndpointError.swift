/// Why an OTLP endpoint URL was refused, on one line.
public struct OTLPEndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
