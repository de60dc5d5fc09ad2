#!/usr/bin/env bash
# What the sidecar's resilience filters cost, measured side by side in one run. Run by hand
# (not in CI):
#
#   swift build -c release --static-swift-stdlib && Benchmarks/pipeline.sh [SECONDS] [ROUNDS]
#
# wrk -t1 -c16 through a pair of proxies (caller's proxy -> callee's proxy -> echo), the
# same request each time (GET / with Host: server), five ways, in ROUNDS interleaved rounds
# (the order reversed every other round, since this machine is noisy), each round printed
# and then the median of each. Next to requests/s and p50/p99: the CPU time (user + system,
# from /proc) each of the two proxies spent per request, which a busy machine moves much
# less than requests/s:
#   a   sidecar pair, no policy (the sidecar's defaults: 15 s timeout, connect-failure retries);
#   b   sidecar pair, every resilience filter configured for `server`: timeout 2s,
#       connectTimeout 1s, retries {attempts: 2, perTryTimeout: 500ms, retryOn: [5xx, reset,
#       connect-failure]}, circuitBreaker with every key (limits 10000, never reached),
#       loadBalancer leastRequest;
#   b2  as b with loadBalancer ewma;
#   c   haproxy pair with the same timeouts and retries (timeout server 2s, timeout connect 1s,
#       retries 2, retry-on conn-failure empty-response response-timeout 500 502 503 504 (no 5xx
#       class in haproxy), option redispatch,
#       http-reuse always, balance leastconn), nbthread 1 each as a sidecar has one event-loop
#       thread, no logging, in front of topology a's server echo app;
#   c0  haproxy pair without retries or timeouts.
# No mirror: a mirror doubles the upstream work, which is not a filter's cost.
# Goal (issue 8): b at least 0.95x a. Afterwards each sidecar pair's `/stats` must show no
# retry, timeout, overflow or ejection (else the comparison is not like for like).
# On a busy machine, Benchmarks/pipeline-instructions.sh counts the same cost in instructions.
# MESHBED_BIN=PATH picks the binary (default .build/release/meshbed).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${2:-3}
bin=${MESHBED_BIN:-$PWD/.build/release/meshbed}
case $seconds$rounds in *[!0-9]*) echo "usage: Benchmarks/pipeline.sh [SECONDS] [ROUNDS] (whole numbers)" >&2; exit 2;; esac
[ "$seconds" -gt 0 ] && [ "$rounds" -gt 0 ] || { echo "SECONDS and ROUNDS must be at least 1" >&2; exit 2; }
[ -x "$bin" ] || { echo "build first: swift build -c release --static-swift-stdlib (or set MESHBED_BIN)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "needs wrk" >&2; exit 2; }
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$haproxy" ] || { echo "needs haproxy (apt-get install haproxy)" >&2; exit 2; }

source Benchmarks/pipeline-common.sh  # (the working directory is the repository)

pair_topology pair none > "$work/pair.yaml"
pair_topology pairpolicy leastRequest > "$work/pairpolicy.yaml"
pair_topology pairewma ewma > "$work/pairewma.yaml"

declare -A admin
up() {  # label name
  "$bin" up "$work/$2.yaml" --detach --state-dir "$work/state-$2" >/dev/null
  local status
  status=$("$bin" status "$2" --json --state-dir "$work/state-$2")
  url[$1]="http://$(field "$status" client outbound)/"
  admin[$1]="$(field "$status" client admin)"
  local state
  state=$(cat "$work/state-$2/$2/state.json")
  procs[$1]="$(field "$state" client sidecarPID) $(field "$state" server sidecarPID)"
  [ "$1" = a ] && echo_app=$(field "$status" server app)
  return 0
}
up a pair
up b pairpolicy
up b2 pairewma

# The policy must have reached the client sidecar, or b measures nothing.
python3 - "$(curl -s "http://${admin[b]}/config")" <<'PY' || { echo "b's client sidecar has no policy for server" >&2; exit 3; }
import json, sys
config = json.dumps(json.loads(sys.argv[1])["snapshot"])
sys.exit(0 if "leastRequest" in config and "consecutive5xxErrors" in config else 1)
PY

haproxy_pair() {  # name front-port back-port target resilience-lines
  local dir=$work/haproxy-$1
  mkdir -p "$dir"
  for side in front back; do
    local listen target
    if [ $side = front ]; then listen=$2 target=127.0.0.1:$3; else listen=$3 target=$4; fi
    cat > "$dir/$side.cfg" <<CONF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  http-reuse always
$5
frontend in
  bind 127.0.0.1:$listen
  default_backend out
backend out
  balance leastconn
  server s1 $target
CONF
    "$haproxy" -q -f "$dir/$side.cfg" &
    pids+=($!)
    procs[$1]="${procs[$1]:-}${procs[$1]:+ }$!"
  done
  wait_port "$2"
}
resilience="  timeout client 30s
  timeout server 2s
  timeout connect 1s
  retries 2
  retry-on conn-failure empty-response response-timeout 500 502 503 504
  option redispatch"
# No timeouts at all (haproxy -q keeps its warning about them quiet).
plain="  retries 0"
c_front=$(free_port); c_back=$(free_port)
haproxy_pair c "$c_front" "$c_back" "$echo_app" "$resilience"
url[c]="http://127.0.0.1:$c_front/"
c0_front=$(free_port); c0_back=$(free_port)
haproxy_pair c0 "$c0_front" "$c0_back" "$echo_app" "$plain"
url[c0]="http://127.0.0.1:$c0_front/"

labels=(a b b2 c c0)
declare -A name=(
  [a]="sidecar pair, no policy"
  [b]="sidecar pair, all filters (leastRequest)"
  [b2]="sidecar pair, all filters (ewma)"
  [c]="haproxy pair, same timeouts and retries"
  [c0]="haproxy pair, no timeouts or retries"
)

echo "== wrk -t1 -c16 -d${seconds}s, $rounds rounds ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
for l in "${labels[@]}"; do run "$l" 1 >/dev/null; done  # warm up: pools, caches
: > "$work/results"
for r in $(seq 1 "$rounds"); do
  order=("${labels[@]}")
  [ $((r % 2)) -eq 0 ] && order=(c0 c b2 b a)
  for l in "${order[@]}"; do
    line=$(run "$l" "$seconds")
    echo "$r $line" >> "$work/results"
    read -r _ rps p50 p99 bad cpu1 cpu2 <<< "$line"
    printf "round %d  %-3s %-42s %7d req/s  p50 %.3f ms  p99 %6.3f ms  CPU/request %5.2f + %5.2f us%s\n" \
      "$r" "$l" "${name[$l]}" "$rps" "$p50" "$p99" "$cpu1" "$cpu2" "$([ "$bad" = 1 ] && echo "  ERRORS")"
  done
done

echo "== medians"
python3 - "$work/results" "${labels[@]}" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
med = {}
for label in sys.argv[2:]:
    mine = [r for r in rows if r[1] == label]
    med[label] = tuple(statistics.median(float(r[i]) for r in mine) for i in (2, 3, 4, 6, 7))
    rps, p50, p99, cpu1, cpu2 = med[label]
    print(f"{label:3} {rps:8.0f} req/s  p50 {p50:.3f} ms  p99 {p99:6.3f} ms  CPU/request {cpu1:5.2f} + {cpu2:5.2f} us")
def ratio(x, y):
    print(f"{x}/{y}: {med[x][0] / med[y][0]:.3f}x the requests/s, p99 {med[x][2] / med[y][2]:.2f}x, "
          f"caller's proxy CPU/request {med[x][3] / med[y][3]:.2f}x, both proxies {(med[x][3] + med[x][4]) / (med[y][3] + med[y][4]):.2f}x")
ratio("b", "a"); ratio("b2", "a"); ratio("b", "c"); ratio("a", "c0"); ratio("c", "c0")
b_a = med["b"][0] / med["a"][0]
print(f"goal b >= 0.95 a: {'met' if b_a >= 0.95 else 'NOT met'} ({b_a:.3f})")
PY

echo "== client sidecars' /stats (a, b, b2): retries, timeouts, overflows and ejections must be 0"
for l in a b b2; do echo "$l $(curl -s "http://${admin[$l]}/stats")"; done
