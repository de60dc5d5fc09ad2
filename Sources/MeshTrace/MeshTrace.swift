// MeshTrace: distributed traces as the control plane keeps and shows them, with no I/O.
//
//     sidecars ──POST /v1/spans──▶ control plane ──▶ SpanStore (bounded, by trace id)
//                                        │                 │
//                                        │                 ├──▶ GET /v1/traces[/ID] ──▶ `meshbed trace` (TraceWaterfall)
//                                        └──▶ ExportQueue ──▶ OTLPJSON ──▶ an OTLP/HTTP collector
//
// - `Span`: one finished request as one side saw it (the wire format the sidecars send),
//   validated when decoded (`SpanError`).
// - `SpanStore`: the most recent traces, bounded in traces and spans; summaries of them.
// - `OTLPJSON`: spans as an OpenTelemetry `ExportTraceServiceRequest` in its JSON mapping.
// - `ExportQueue`: the batching and bounded queue of an OTLP exporter, driven by the caller's clock.
// - `TraceWaterfall`: one trace as a tree on a time axis, for a terminal.
