import MeshIO

/// Where the control plane pushes spans as OTLP/HTTP JSON: `http://HOST:PORT[/PATH]`, the
/// path `/v1/traces` (OTLP/HTTP's) when none is given. HOST is a numeric IPv4 or IPv6
/// (`[::1]`) address or `localhost`; https is refused (not supported yet), as are host names
/// that would need resolving.
public struct OTLPEndpoint: Sendable, Equatable, CustomStringConvertible {
    public let address: SocketAddress
    /// The request target, starting with `/`.
    public let path: String
    /// The `host` header: HOST:PORT as written.
    public let authority: String

    /// The default path of OTLP/HTTP traces.
    public static let defaultPath = "/v1/traces"

    /// Parses `text`; the error is one line saying what is wrong.
    public init(parsing text: String) throws(OTLPEndpointError) {
        if text.hasPrefix("https://") {
            throw OTLPEndpointError("'\(text)': https is not supported yet (use an http:// collector endpoint)")
        }
        guard text.hasPrefix("http://") else {
            throw OTLPEndpointError("expected http://HOST:PORT[/PATH] such as http://127.0.0.1:4318/v1/traces, got '\(text)'")
        }
        let rest = text.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = String(rest[..<slash])
        let path = rest[slash...].isEmpty ? Self.defaultPath : String(rest[slash...])
        guard !authority.isEmpty, !authority.contains("@") else {
            throw OTLPEndpointError("expected http://HOST:PORT[/PATH], got '\(text)'")
        }
        guard path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), !path.contains("#") else {
            throw OTLPEndpointError("'\(text)': the path must be printable ASCII without spaces or a fragment")
        }
        guard let address = SocketAddress(authority) else {
            if !authority.contains(":") || authority.hasSuffix(":") || authority.hasSuffix("]") {
                throw OTLPEndpointError("'\(text)': missing the port (OTLP/HTTP's is 4318)")
            }
            let host = authority.hasPrefix("[") ? authority : String(authority.split(separator: ":").first ?? "")
            throw OTLPEndpointError("'\(text)': expected a numeric address or localhost with a port 1–65535; host names such as '\(host)' are not supported yet")
        }
        guard address.port != 0 else { throw OTLPEndpointError("'\(text)': the port must be 1–65535") }
        self.address = address
        self.path = path
        self.authority = authority
    }

    /// `http://AUTHORITY/PATH`.
    public var description: String { "http://\(authority)\(path)" }
}
