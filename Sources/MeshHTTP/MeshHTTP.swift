// MeshHTTP: a strict HTTP/1.1 codec (RFC 9112) with no I/O.
//
// The parsers work on raw bytes handed in by the caller (`UnsafeRawBufferPointer`) and never
// build `String`s on the data path. A message head is validated in a single resumable pass
// (the scan position is remembered between calls, so a head that arrives in pieces is not
// rescanned) and copied once into one array that holds both the head bytes and the offsets of
// its fields (`HTTPHeaders`). Bodies are never buffered: content-length, chunked and
// read-until-close bodies are reported as ranges of the caller's buffer as they arrive.
//
// Strictness follows RFC 9112 and RFC 9110 with the ambiguous cases (request smuggling vectors)
// rejected: bare CR or LF, obs-fold, whitespace before a colon, conflicting or malformed
// Content-Length, Transfer-Encoding with Content-Length or in HTTP/1.0, codings other than a
// single final `chunked`, missing or repeated Host. Every rejection is an `HTTPParseError` that
// carries the status a server answers (400, 414, 431, 501, 505; 502 for bad upstream responses).
//
// Main entry points: `HTTPRequestParser` (servers), `HTTPResponseParser` (clients) and
// `HTTPSerializer` (allocation-free writers that append to a `[UInt8]` write buffer).
