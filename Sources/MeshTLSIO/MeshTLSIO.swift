// MeshTLSIO: mutual TLS on the event loops, as a byte stream under HTTP.
//
// - `TLSStream`: a `TLSEngine` between a lower `ByteStream` (ciphertext, a TCP connection)
//   and the layer above (plaintext, HTTP); active above only once the handshake completed
//   and the peer passed the caller's check.
// - `SniffingStream`: TLS or plaintext on one port, by the first bytes (permissive mTLS).
// - `TLSAcceptor`: strict or permissive, as `HTTPServerConfiguration.streamWrapper`.
