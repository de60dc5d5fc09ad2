# Shared by pipeline.sh and pipeline-instructions.sh (sourced, not run): a scratch directory
# torn down on exit (every process in `pids` killed, every topology under it stopped; `bin`
# must be set first), free loopback ports, and the sidecar-pair topology both measure.

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for d in "$work"/state-*; do [ -d "$d" ] && "$bin" down --state-dir "$d" >/dev/null 2>&1 || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A client and a server behind sidecars; the server's policy by variant: none, leastRequest
# (every resilience filter; limits too high to trigger), ewma, roundRobin (the same with that
# balancer), noPerTryTimeout, noCircuitBreaker (the same without it).
pair_topology() {  # name variant
  cat <<YAML
kind: Topology
name: $1
mesh: {mtls: disabled}
services:
  client: {}
  server: {}
YAML
  local perTry=", perTryTimeout: 500ms" lb=leastRequest
  local cb="    circuitBreaker: {consecutive5xxErrors: 10000, consecutiveGatewayErrors: 10000, interval: 10s,
                     baseEjectionTime: 30s, maxEjectionPercent: 10, minHealthPercent: 50,
                     maxConnections: 10000, maxPendingRequests: 10000, maxRequests: 10000}"
  case $2 in
    none) return 0;;
    ewma|roundRobin) lb=$2;;
    noPerTryTimeout) perTry="";;
    noCircuitBreaker) cb="";;
  esac
  cat <<YAML
policies:
  server:
    timeout: 2s
    connectTimeout: 1s
    retries: {attempts: 2$perTry, retryOn: [5xx, reset, connect-failure]}
$cb
    loadBalancer: $lb
YAML
}
