// MeshFaults: L4 faults (Toxiproxy's toxics) as stages on a connection's byte stream, pure:
// time from an injected `TimerScheduler`, chance from a seed, so every test runs in memory.
//
// - `Toxic`: one fault as plain data (name, kind and settings, direction, toxicity), validated
//   with a one-line `ToxicError`.
// - `ToxicStream`: a `ByteStream` over another that runs a toxic list on both directions, swaps
//   it live without losing or reordering bytes, and counts what it did (`ToxicCounters`).
// - Inside: `ToxicChain` (one direction's stages in order), `ToxicStage` (one toxic at work),
//   `ByteQueue` and `ChunkMarks` (the reused buffers the stages hold bytes in).
