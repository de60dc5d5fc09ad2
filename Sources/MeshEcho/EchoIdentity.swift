import MeshCore
import MeshHTTP

/// The bytes every echo response shares, computed once: the `x-meshbed-*` header
/// lines and the start of the JSON body.
struct EchoIdentity: Sendable {
    /// `x-meshbed-service: S\r\nx-meshbed-version: V\r\nx-meshbed-instance: I\r\n`.
    let headerLines: [UInt8]
    /// `{"service":"S","version":"V","instance":"I",`
    let bodyPrefix: [UInt8]

    static let json: [UInt8] = Array("content-type: application/json\r\n".utf8)
    static let octetStream: [UInt8] = Array("content-type: application/octet-stream\r\n".utf8)
    /// 64 KiB of printable filler for `?size=` bodies.
    static let payload: [UInt8] = {
        let line = Array("meshbed echo payload 0123456789abcdefghijklmnopqrstuvwxyz\n".utf8)
        return (0..<(64 * 1024)).map { line[$0 % line.count] }
    }()

    init(_ configuration: EchoConfiguration) {
        var lines: [UInt8] = []
        for (name, value) in [("x-meshbed-service", configuration.service),
                              ("x-meshbed-version", configuration.version),
                              ("x-meshbed-instance", configuration.instance)] {
            lines.append(contentsOf: "\(name): \(value)\r\n".utf8)
        }
        headerLines = lines
        var prefix: [UInt8] = []
        JSONWriter.object(into: &prefix) { json in
            json.field("service", string: configuration.service)
            json.field("version", string: configuration.version)
            json.field("instance", string: configuration.instance)
        }
        prefix.removeLast()  // the closing brace: the per-request fields follow
        prefix.append(UInt8(ascii: ","))
        bodyPrefix = prefix
    }

    /// Appends the JSON body describing `head`.
    func writeBody(head: HTTPRequestHead, bodyBytes: UInt64, injected: Bool, calls: [CallResult] = [], into out: inout [UInt8]) {
        out.append(contentsOf: bodyPrefix)
        out.append(contentsOf: #""method":"#.utf8)
        JSONWriter.appendString(head.methodBytes, into: &out)
        out.append(contentsOf: #","path":"#.utf8)
        JSONWriter.appendString(head.path, into: &out)
        if let query = head.query {
            out.append(contentsOf: #","query":"#.utf8)
            JSONWriter.appendString(query, into: &out)
        }
        out.append(contentsOf: #","headers":{"#.utf8)
        let headers = head.headers
        for index in 0..<headers.count {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            let start = out.count
            JSONWriter.appendString(headers.name(at: index), into: &out)
            // Header names are tokens: lower-case them in place for a stable shape.
            for i in start..<out.count where out[i] >= 0x41 && out[i] <= 0x5A { out[i] |= 0x20 }
            out.append(UInt8(ascii: ":"))
            JSONWriter.appendString(headers.value(at: index), into: &out)
        }
        out.append(contentsOf: #"},"bodyBytes":"#.utf8)
        JSONWriter.appendDecimal(bodyBytes, into: &out)
        if injected {
            out.append(contentsOf: #","error":"injected by --error-rate""#.utf8)
        }
        out.append(contentsOf: #","calls":["#.utf8)
        for (index, call) in calls.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.object(into: &out) { json in
                json.field("service", string: call.service)
                if let status = call.status { json.field("status", integer: status) } else { json.fieldNull("status") }
                if let error = call.error { json.field("error", string: error) }
                if !call.explain.isEmpty {
                    // The sidecars' decision records of this call, as their headers carried them
                    // (strings: an app outside the mesh could send anything in that header).
                    json.field("explain", array: { list in for record in call.explain { list.element(bytes: record) } })
                }
                if call.isJSON, let first = call.body.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                    var body = call.body
                    while let last = body.last, last == 10 || last == 13 || last == 32 { body.removeLast() }
                    json.field("body", raw: body)
                } else if !call.body.isEmpty {
                    json.field("body", bytes: call.body)
                }
            }
        }
        out.append(contentsOf: "]}".utf8)
        out.append(10)
    }
}
