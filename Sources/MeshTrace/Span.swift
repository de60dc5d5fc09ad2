import MeshCore

/// One finished request as one side of it saw it: the caller's sidecar (or the ingress)
/// records a client span, the callee's sidecar a server span, and both send them to the
/// control plane (`POST /v1/spans`). Its JSON is the wire format, key for key:
///
///     {"traceId": "<32 hex>", "spanId": "<16 hex>", "parentSpanId": "<16 hex>" (absent at a root),
///      "kind": "client"|"server", "service": "reviews", "version": "v1", "instance": "reviews-v1-0",
///      "peer": "ratings", "method": "GET", "path": "/x", "status": 200, "flags": "-",
///      "startUnixNano": N, "endUnixNano": N, "attempts": 1, "endpoint": "ratings-v1-0" (optional),
///      "events": [{"timeUnixNano": N, "name": "..."}] (optional)}
///
/// Decoding checks it (`SpanError`): ids are lowercase hex of their length and not all
/// zeros (W3C trace context), the kind is known, it does not end before it starts.
public struct Span: Codable, Sendable, Equatable {
    /// Which side of the request the span is.
    public enum Kind: String, Codable, Sendable {
        /// The caller's side (its sidecar, or the ingress gateway): the whole call, retries included.
        case client
        /// The callee's side (its sidecar): the request as it arrived.
        case server
    }

    /// The trace: 32 lowercase hex digits.
    public var traceId: String
    /// This span: 16 lowercase hex digits.
    public var spanId: String
    /// The span this one is a child of; nil at a trace's root.
    public var parentSpanId: String?
    public var kind: Kind
    /// The service whose sidecar recorded it (`ingress` for the gateway).
    public var service: String
    public var version: String
    /// The instance whose sidecar recorded it.
    public var instance: String
    /// The other side: the destination service of a client span, the caller's service of a server span.
    public var peer: String
    public var method: String
    public var path: String
    /// The response status; 0 when there was no response.
    public var status: Int
    /// Envoy-style response flags (`UT,URX`), `-` for none.
    public var flags: String
    public var startUnixNano: UInt64
    public var endUnixNano: UInt64
    /// Attempts made (retries included); 1 on the server side.
    public var attempts: Int
    /// The instance that answered the last attempt (client spans), if any.
    public var endpoint: String?
    /// What happened meanwhile, in time order.
    public var events: [SpanEvent]

    public init(
        traceId: String, spanId: String, parentSpanId: String? = nil, kind: Kind, service: String, version: String,
        instance: String, peer: String, method: String, path: String, status: Int, flags: String = "-",
        startUnixNano: UInt64, endUnixNano: UInt64, attempts: Int = 1, endpoint: String? = nil, events: [SpanEvent] = []
    ) {
        self.traceId = traceId
        self.spanId = spanId
        self.parentSpanId = parentSpanId
        self.kind = kind
        self.service = service
        self.version = version
        self.instance = instance
        self.peer = peer
        self.method = method
        self.path = path
        self.status = status
        self.flags = flags
        self.startUnixNano = startUnixNano
        self.endUnixNano = endUnixNano
        self.attempts = attempts
        self.endpoint = endpoint
        self.events = events
    }

    /// How long it took, in nanoseconds.
    public var durationNanos: UInt64 { endUnixNano - startUnixNano }

    private enum CodingKeys: String, CodingKey {
        case traceId, spanId, parentSpanId, kind, service, version, instance, peer, method, path, status, flags
        case startUnixNano, endUnixNano, attempts, endpoint, events
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let at = CodingPathText.text(decoder.codingPath)
        func fail(_ key: CodingKeys, _ message: String) -> SpanError {
            SpanError((at.isEmpty ? "" : at + ".") + key.stringValue + ": " + message)
        }
        traceId = try container.decode(String.self, forKey: .traceId)
        spanId = try container.decode(String.self, forKey: .spanId)
        parentSpanId = try container.decodeIfPresent(String.self, forKey: .parentSpanId)
        let kindText = try container.decode(String.self, forKey: .kind)
        guard let kind = Kind(rawValue: kindText) else { throw fail(.kind, "expected client or server, got '\(kindText)'") }
        self.kind = kind
        service = try container.decode(String.self, forKey: .service)
        version = try container.decode(String.self, forKey: .version)
        instance = try container.decode(String.self, forKey: .instance)
        peer = try container.decode(String.self, forKey: .peer)
        method = try container.decode(String.self, forKey: .method)
        path = try container.decode(String.self, forKey: .path)
        status = try container.decode(Int.self, forKey: .status)
        flags = try container.decode(String.self, forKey: .flags)
        startUnixNano = try Self.nanoseconds(container, .startUnixNano, at: at)
        endUnixNano = try Self.nanoseconds(container, .endUnixNano, at: at)
        attempts = try container.decode(Int.self, forKey: .attempts)
        endpoint = try container.decodeIfPresent(String.self, forKey: .endpoint)
        events = try container.decodeIfPresent([SpanEvent].self, forKey: .events) ?? []

        if let problem = Self.idProblem(traceId, digits: 32) { throw fail(.traceId, problem) }
        if let problem = Self.idProblem(spanId, digits: 16) { throw fail(.spanId, problem) }
        if let parentSpanId, let problem = Self.idProblem(parentSpanId, digits: 16) { throw fail(.parentSpanId, problem) }
        if parentSpanId == spanId { throw fail(.parentSpanId, "a span cannot be its own parent") }
        for (key, value) in [(CodingKeys.service, service), (.instance, instance), (.method, method)] where value.isEmpty {
            throw fail(key, "must not be empty")
        }
        guard status == 0 || (100...599).contains(status) else { throw fail(.status, "expected 0 (no response) or 100–599, got \(status)") }
        guard endUnixNano >= startUnixNano else {
            throw fail(.endUnixNano, "ends before it starts (\(endUnixNano) < startUnixNano \(startUnixNano))")
        }
        guard attempts >= 0 else { throw fail(.attempts, "expected 0 or more, got \(attempts)") }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(traceId, forKey: .traceId)
        try container.encode(spanId, forKey: .spanId)
        try container.encodeIfPresent(parentSpanId, forKey: .parentSpanId)
        try container.encode(kind, forKey: .kind)
        try container.encode(service, forKey: .service)
        try container.encode(version, forKey: .version)
        try container.encode(instance, forKey: .instance)
        try container.encode(peer, forKey: .peer)
        try container.encode(method, forKey: .method)
        try container.encode(path, forKey: .path)
        try container.encode(status, forKey: .status)
        try container.encode(flags, forKey: .flags)
        try container.encode(startUnixNano, forKey: .startUnixNano)
        try container.encode(endUnixNano, forKey: .endUnixNano)
        try container.encode(attempts, forKey: .attempts)
        try container.encodeIfPresent(endpoint, forKey: .endpoint)
        if !events.isEmpty { try container.encode(events, forKey: .events) }
    }

    /// A time in nanoseconds since the epoch: read as a signed integer (the decoder says no
    /// more than "not valid JSON" of a negative number read as unsigned), then checked.
    private static func nanoseconds(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys, at: String) throws -> UInt64 {
        let value = try container.decode(Int64.self, forKey: key)
        guard value >= 0 else {
            throw SpanError((at.isEmpty ? "" : at + ".") + key.stringValue + ": expected nanoseconds since the epoch (>= 0), got \(value)")
        }
        return UInt64(value)
    }

    /// Why `id` is not `digits` lowercase hex digits, not all zeros; nil when it is.
    public static func idProblem(_ id: String, digits: Int) -> String? {
        let bytes = id.utf8
        let hex = bytes.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        guard bytes.count == digits, hex else {
            let shown = id.count > 40 ? String(id.prefix(40)) + "..." : id
            return "expected \(digits) lowercase hex digits, got '\(shown)'"
        }
        guard bytes.contains(where: { $0 != UInt8(ascii: "0") }) else { return "must not be all zeros" }
        return nil
    }
}
