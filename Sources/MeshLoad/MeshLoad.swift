// MeshLoad: the load generator (`meshbed load`).
