import MeshCore

/// Spans as an OpenTelemetry `ExportTraceServiceRequest` in the protobuf JSON mapping that
/// OTLP/HTTP accepts (`Content-Type: application/json`, opentelemetry-proto's
/// `collector/trace/v1`):
///
///     {"resourceSpans": [{"resource": {"attributes": [service.name, service.version, service.instance.id]},
///                         "scopeSpans": [{"scope": {"name": "meshbed"}, "spans": [...]}]}]}
///
/// One resource per (service, version, instance), in the order they first appear. Each span:
/// ids as lowercase hex (OTLP/JSON's exception to base64), `name` `GET /x` (the method and
/// the path without its query, as OTel's HTTP conventions name a span without a route
/// template), `kind` SERVER (2) or CLIENT (3), times as decimal strings (64-bit integers in
/// the JSON mapping), HTTP and meshbed attributes, events, and `status` ERROR (2) for a 5xx
/// or no response, else unset (OTel leaves 4xx unset on both sides' HTTP spans).
public enum OTLPJSON {
    /// The instrumentation scope every span is under.
    public static let scopeName = "meshbed"

    /// `spans` as one request body.
    public static func encode(_ spans: [Span]) -> [UInt8] {
        var groups: [(key: [String], spans: [Span])] = []
        var index: [[String]: Int] = [:]
        for span in spans {
            let key = [span.service, span.version, span.instance]
            if let at = index[key] {
                groups[at].spans.append(span)
            } else {
                index[key] = groups.count
                groups.append((key, [span]))
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(spans.count * 700 + 64)
        JSONWriter.object(into: &out) { request in
            request.field("resourceSpans", array: { resources in
                for group in groups {
                    resources.element(object: { resource in
                        resource.field("resource", object: { body in
                            body.field("attributes", array: { attributes in
                                attribute(&attributes, "service.name", string: group.key[0])
                                attribute(&attributes, "service.version", string: group.key[1])
                                attribute(&attributes, "service.instance.id", string: group.key[2])
                            })
                        })
                        resource.field("scopeSpans", array: { scopes in
                            scopes.element(object: { scope in
                                scope.field("scope", object: { $0.field("name", string: scopeName) })
                                scope.field("spans", array: { list in
                                    for span in group.spans { list.element(object: { write(span, into: &$0) }) }
                                })
                            })
                        })
                    })
                }
            })
        }
        return out
    }

    /// The OTLP `SpanKind` number of `kind`.
    public static func kindNumber(_ kind: Span.Kind) -> Int {
        switch kind {
        case .server: return 2
        case .client: return 3
        }
    }

    private static func write(_ span: Span, into object: inout JSONWriter) {
        let path = span.path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? span.path
        object.field("traceId", string: span.traceId)
        object.field("spanId", string: span.spanId)
        if let parent = span.parentSpanId { object.field("parentSpanId", string: parent) }
        object.field("name", string: "\(span.method) \(path)")
        object.field("kind", integer: kindNumber(span.kind))
        object.field("startTimeUnixNano", string: String(span.startUnixNano))
        object.field("endTimeUnixNano", string: String(span.endUnixNano))
        object.field("attributes", array: { attributes in
            attribute(&attributes, "http.request.method", string: span.method)
            attribute(&attributes, "url.path", string: path)
            if span.status != 0 { attribute(&attributes, "http.response.status_code", integer: span.status) }
            if span.kind == .client { attribute(&attributes, "server.address", string: span.peer) }
            attribute(&attributes, "peer.service", string: span.peer)
            attribute(&attributes, "meshbed.flags", string: span.flags)
            attribute(&attributes, "meshbed.attempts", integer: span.attempts)
            if let endpoint = span.endpoint { attribute(&attributes, "meshbed.endpoint", string: endpoint) }
        })
        if !span.events.isEmpty {
            object.field("events", array: { events in
                for event in span.events {
                    events.element(object: { item in
                        item.field("timeUnixNano", string: String(event.timeUnixNano))
                        item.field("name", string: event.name)
                    })
                }
            })
        }
        if span.status == 0 || span.status >= 500 {
            object.field("status", object: { $0.field("code", integer: 2) })
        }
    }

    private static func attribute(_ list: inout JSONArrayWriter, _ key: String, string value: String) {
        list.element(object: { item in
            item.field("key", string: key)
            item.field("value", object: { $0.field("stringValue", string: value) })
        })
    }

    /// An `intValue`: a 64-bit integer, so a decimal string in the JSON mapping.
    private static func attribute(_ list: inout JSONArrayWriter, _ key: String, integer value: Int) {
        list.element(object: { item in
            item.field("key", string: key)
            item.field("value", object: { $0.field("intValue", string: String(value)) })
        })
    }
}
