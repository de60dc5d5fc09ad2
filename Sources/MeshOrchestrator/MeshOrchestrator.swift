// MeshOrchestrator: launches a topology as processes: ports, start order with readiness gates, logs, state files, teardown, and no orphans.
