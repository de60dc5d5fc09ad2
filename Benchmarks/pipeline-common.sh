# Shared by pipeline.sh, pipeline-instructions.sh, mtls.sh and mtls-instructions.sh (sourced,
# not run): a scratch directory torn down on exit (every process in `pids` killed, every
# topology under it stopped; `bin` must be set first), free loopback ports, the sidecar-pair
# topology they measure, a field of an instance in status or state JSON, (pipeline.sh and
# mtls.sh) waiting for a port and one wrk run with its proxies' CPU time, and (the two
# -instructions scripts) a caller sidecar's clone counted under callgrind.

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
# balancer), noPerTryTimeout, noCircuitBreaker (the same without it). mtls: the mesh's mode
# (disabled unless given).
pair_topology() {  # name variant [mtls]
  cat <<YAML
kind: Topology
name: $1
mesh: {mtls: ${3:-disabled}}
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

field() {  # json service field: the field of the first instance of service (status or state JSON)
  python3 -c "import json,sys; s=json.loads(sys.argv[1]); i=[x for x in s['instances'] if x['service']==sys.argv[2]][0]; print(i[sys.argv[3]])" "$1" "$2" "$3"
}

wait_port() {  # port [host]
  for _ in $(seq 1 200); do
    curl -s -o /dev/null -H "Host: ${2:-server}" "http://127.0.0.1:$1/" && return 0
    sleep 0.05
  done
  echo "nothing answers on port $1" >&2; exit 3
}

# What `run` measures, by label: the URL wrk loads and the proxies' pids (caller's first).
declare -A url procs

# CPU time (user + system, clock ticks) of the pids, one per line.
cpu() { for p in "$@"; do awk '{ print $14 + $15 }' "/proc/$p/stat"; done; }

# wrk -t1 -c16 with Host: server against url[label]: prints "label rps p50 p99 errors cpu..."
# (latencies in ms; one cpu column per pid in procs[label]: its CPU time per request in
# microseconds, which the machine's noise moves much less than requests/s).
run() {  # label seconds
  local before after
  # shellcheck disable=SC2086
  before=$(cpu ${procs[$1]})
  wrk -t1 -c16 -d"$2s" --latency -H "Host: server" "${url[$1]}" > "$work/wrk.txt"
  # shellcheck disable=SC2086
  after=$(cpu ${procs[$1]})
  python3 - "$1" "$work/wrk.txt" "$before" "$after" "$(getconf CLK_TCK)" <<'PY'
import re, sys
text = open(sys.argv[2]).read()
requests = int(re.search(r"(\d+) requests in", text).group(1))
ticks = [int(a) - int(b) for b, a in zip(sys.argv[3].split(), sys.argv[4].split())]
cpu = [t * 1e6 / int(sys.argv[5]) / max(requests, 1) for t in ticks]
def ms(label):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), text, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
bad = 1 if ("Socket errors" in text or "Non-2xx" in text) else 0
print(sys.argv[1], f"{rps:.0f}", f"{ms('50%'):.3f}", f"{ms('99%'):.3f}", bad, *(f"{c:.2f}" for c in cpu))
PY
}

# (faults.sh, observability.sh) Brings $work/NAME.yaml up detached (state in $work/state-NAME)
# and keeps for LABEL: the client's outbound URL, both sidecars' admin addresses and pids.
declare -A admin
up_pair() {  # label name
  "$bin" up "$work/$2.yaml" --detach --state-dir "$work/state-$2" >/dev/null
  local status state
  status=$("$bin" status "$2" --json --state-dir "$work/state-$2")
  url[$1]="http://$(field "$status" client outbound)/"
  admin[$1]="$(field "$status" client admin) $(field "$status" server admin)"
  state=$(cat "$work/state-$2/$2/state.json")
  procs[$1]="$(field "$state" client sidecarPID) $(field "$state" server sidecarPID)"
}

stat_requests() { curl -s "http://127.0.0.1:$1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }

# A second sidecar of SERVICE's instance (its first) of the topology whose state is under
# $work/state-NAME, started under callgrind with instrumentation off, ready: its pid in
# $clone and its ports in $clone_inbound, $clone_outbound, $clone_admin; its output in
# $work/cg-LABEL.out*. The same command line and environment as the original (so with mTLS
# it gets a certificate of its own), its own ports.
start_clone() {  # label name service
  local label=$1 name=$2 pid args=() envs=()
  pid=$(field "$(cat "$work/state-$name/$name/state.json")" "$3" sidecarPID)
  mapfile -d '' -t args < "/proc/$pid/cmdline"
  # Its environment without the supervisor's pid (a sidecar whose parent is not its
  # supervisor exits at once); the run id stays, so `down` sweeps it too.
  mapfile -d '' -t envs < <(tr '\0' '\n' < "/proc/$pid/environ" | grep -v '^MESHBED_SUPERVISOR_PID=' | tr '\n' '\0')
  clone_inbound=$(free_port); clone_outbound=$(free_port); clone_admin=$(free_port)
  for i in "${!args[@]}"; do
    case ${args[$i]} in
      --inbound) args[i + 1]=$clone_inbound;; --outbound) args[i + 1]=$clone_outbound;; --admin) args[i + 1]=$clone_admin;;
    esac
  done
  env -i "${envs[@]}" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg-$label.out" \
    "${args[@]}" > "$work/cg-$label.log" 2>&1 &
  clone=$!
  pids+=($clone)
  for _ in $(seq 1 900); do curl -sf -o /dev/null "http://127.0.0.1:$clone_admin/ready" && break; sleep 0.1; done
  curl -sf -o /dev/null "http://127.0.0.1:$clone_admin/ready" || { echo "$label: the sidecar under callgrind never got ready" >&2; exit 3; }
}

# (pipeline-instructions.sh, mtls-instructions.sh, faults.sh) The caller's sidecar cloned
# and counted against its outbound port: $work/requests-LABEL, $work/inclusive-LABEL.txt.
callgrind_clone() {  # label name seconds
  start_clone "$1" "$2" client
  callgrind_run "$1" "http://127.0.0.1:$clone_outbound/" "$3"
}

# The running clone (start_clone LABEL) counted under callgrind: after a 3 s warm-up of
# wrk -t1 -c4 with `Host: server` against URL (pools, handshakes), instrumentation is on for
# SECONDS of the same; its `/stats` counts the requests. Then the clone (and PIDS, what
# stood in front of it) is stopped. Leaves $work/requests-LABEL and $work/inclusive-LABEL.txt.
callgrind_run() {  # label url seconds [pids...]
  local label=$1 url=$2 seconds=$3 r0 r1
  shift 3
  wrk -t1 -c4 -d3s -H "Host: server" "$url" > /dev/null
  callgrind_control -i on "$clone" > /dev/null 2>&1
  r0=$(stat_requests "$clone_admin")
  wrk -t1 -c4 -d"${seconds}s" -H "Host: server" "$url" > "$work/wrk-$label.txt"
  r1=$(stat_requests "$clone_admin")
  callgrind_control -i off "$clone" > /dev/null 2>&1
  callgrind_control -d "$clone" > /dev/null 2>&1
  if grep -q "Non-2xx\|Socket errors" "$work/wrk-$label.txt"; then echo "$label: wrk saw errors" >&2; exit 3; fi
  kill "$clone" "$@"; wait "$clone" "$@" 2>/dev/null || true
  pids=()  # gone: their pids must not be signalled again
  echo $((r1 - r0)) > "$work/requests-$label"
  callgrind_annotate --inclusive=yes --threshold=100 "$(ls "$work/cg-$label.out"* | tail -1)" 2>/dev/null | swift demangle --simplified \
    > "$work/inclusive-$label.txt"
}

# (mtls-instructions.sh and mtls-callee-instructions.sh) One line from a callgrind report
# (callgrind_annotate --inclusive, demangled): the whole program's and TLSEngine's read and
# write paths' instructions per request.
tls_report() {  # inclusive-file requests label
  python3 - "$1" "$2" "$3" <<'PY'
import re, sys
requests = int(sys.argv[2])
def count(pattern):
    for line in open(sys.argv[1]):
        if re.search(pattern, line):
            return int(line.split()[0].replace(",", ""))
    return 0
total = count(r"PROGRAM TOTALS")
read = count(r"TLSEngine\.readPlaintext\(into:\) \[")
write = count(r"TLSEngine\.writePlaintext\(_:\) \[")
n = max(requests, 1)
print(f"{sys.argv[3]}: {requests} requests, {total / n:,.0f} instructions per request; "
      f"TLSEngine.readPlaintext {read / n:,.0f}, TLSEngine.writePlaintext {write / n:,.0f}")
PY
}
