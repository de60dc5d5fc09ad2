// MeshControl: the control plane. A registry of instances fed by heartbeats, versioned snapshots built from the topology, long-poll distribution to sidecars, and an admin JSON API.
