// MeshTopology: topology files (SPEC §3) read into typed, immutable values, with every mistake reported as FILE:LINE:COLUMN: message.
