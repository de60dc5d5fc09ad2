/// Request methods: the ones RFC 9110 defines plus PATCH, and `.other` for any other token
/// (the exact bytes are in `HTTPRequestHead.methodBytes`). Methods are case-sensitive: `get` is `.other`.
public enum HTTPMethod: Sendable, Equatable, Hashable {
    case get, head, post, put, delete, options, patch, trace, connect, other

    /// The method's name as sent on the wire; empty for `.other`.
    public var name: StaticString {
        switch self {
        case .get: return "GET"
        case .head: return "HEAD"
        case .post: return "POST"
        case .put: return "PUT"
        case .delete: return "DELETE"
        case .options: return "OPTIONS"
        case .patch: return "PATCH"
        case .trace: return "TRACE"
        case .connect: return "CONNECT"
        case .other: return ""
        }
    }

    /// Classifies the method token `p[0..<count]` (already known to be a valid token).
    @inline(__always)
    static func classify(_ p: UnsafePointer<UInt8>, _ count: Int) -> HTTPMethod {
        @inline(__always) func eq(_ s: StaticString) -> Bool {
            let q = s.utf8Start
            for k in 0..<count where p[k] != q[k] { return false }
            return true
        }
        switch count {
        case 3:
            if p[0] == UInt8(ascii: "G") { return eq("GET") ? .get : .other }
            if p[0] == UInt8(ascii: "P") { return eq("PUT") ? .put : .other }
        case 4:
            if p[0] == UInt8(ascii: "P") { return eq("POST") ? .post : .other }
            if p[0] == UInt8(ascii: "H") { return eq("HEAD") ? .head : .other }
        case 5:
            if p[0] == UInt8(ascii: "P") { return eq("PATCH") ? .patch : .other }
            if p[0] == UInt8(ascii: "T") { return eq("TRACE") ? .trace : .other }
        case 6:
            return eq("DELETE") ? .delete : .other
        case 7:
            if p[0] == UInt8(ascii: "O") { return eq("OPTIONS") ? .options : .other }
            if p[0] == UInt8(ascii: "C") { return eq("CONNECT") ? .connect : .other }
        default:
            break
        }
        return .other
    }
}
