/// The HTTP/1.x protocol versions this codec speaks.
public enum HTTPVersion: Sendable, Equatable, Hashable {
    case http1_0
    case http1_1
}
