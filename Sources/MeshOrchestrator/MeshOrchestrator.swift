// MeshOrchestrator: launches a topology as processes: ports, start order with readiness gates, logs, state files, teardown, and no orphans.
//
//   TopologyLauncher   `meshbed up`: validate, refuse a second copy, then supervise here or
//                      start a detached supervisor (`up --supervise`, own session) and wait
//   LaunchPlan         every process with its command line, environment, ports and probe
//   Supervisor         starts stage by stage (control plane, apps, sidecars, ingress), gates
//                      each on readiness with a deadline, reaps, records, tears down
//   StateDirectory     STATE_DIR/NAME/state.json (MeshState) and STATE_DIR/NAME/logs/
//   TopologyStopper    `meshbed down`: SIGTERM the supervisor, then make sure nothing is left
//   StatusReport       `meshbed status`: SPEC §5 JSON or a table, readiness probed live
//   ProcessSweeper     finds a run's processes by MESHBED_RUN_ID in their environment
//
// No orphans, by three means: every child is told its supervisor (MESHBED_SUPERVISOR_PID)
// and asks the kernel for SIGKILL when it dies (PR_SET_PDEATHSIG, which survives exec);
// every child leads its own process group, signalled whole at teardown; and every process
// of a run carries MESHBED_RUN_ID, which the teardown and `down` sweep for. In containers,
// whose processes' parent is the engine's monitor, they watch the supervisor's pid and start
// time instead (MESHBED_SUPERVISOR_WATCH, the host's pids shared).
