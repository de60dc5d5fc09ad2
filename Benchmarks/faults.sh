#!/usr/bin/env bash
# What an installed fault list costs requests it does not match, measured side by side.
# Run by hand (not in CI):
#
#   swift build -c release --static-swift-stdlib && Benchmarks/faults.sh [SECONDS] [ROUNDS]
#
# Two sidecar pairs (pipeline.sh's topology a, no policy, mtls disabled):
#   a  no fault;
#   f  eight faults that match none of the load's requests: four on the destination
#      `server` with a header the requests do not carry (abort and delay, client and server
#      side), two from the ingress (the load comes from `client`), two to `client`.
# First the caller sidecar's instructions per request under callgrind (a second sidecar of
# the caller's instance, wrk -t1 -c4 for SECONDS: noise-free), then wrk -t1 -c16 through
# each pair in ROUNDS interleaved rounds (order reversed every other round): requests/s,
# p50, p99, and each proxy's CPU time per request. Goal (issue 10): f at least 0.98x a's
# requests/s. Afterwards every fault's `matched` count must be 0 (they really matched
# nothing). Needs valgrind, wrk, swift (demangle). MESHBED_BIN=PATH picks the binary;
# ROUNDS 0 skips the wrk rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${2:-3}
case $seconds$rounds in *[!0-9]*) echo "usage: Benchmarks/faults.sh [SECONDS] [ROUNDS] (whole numbers)" >&2; exit 2;; esac
[ "$seconds" -gt 0 ] || { echo "SECONDS must be at least 1" >&2; exit 2; }
bin=${MESHBED_BIN:-$PWD/.build/release/meshbed}
[ -x "$bin" ] || { echo "build first: swift build -c release --static-swift-stdlib (or set MESHBED_BIN)" >&2; exit 2; }
for tool in valgrind callgrind_control callgrind_annotate wrk swift; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

source Benchmarks/pipeline-common.sh  # (the working directory is the repository)

pair_topology pair none > "$work/pair.yaml"
{ pair_topology pairfaults none; cat <<'YAML'
faults:
  - {kind: abort, to: server, status: 503, headers: {x-never: "1"}}
  - {kind: delay, to: server, delay: 1s, headers: {x-never: "1"}}
  - {kind: abort, to: server, status: 503, side: server, headers: {x-never: "1"}}
  - {kind: delay, to: server, delay: 1s, side: server, headers: {x-never: "1"}}
  - {kind: abort, to: server, status: 503, from: ingress}
  - {kind: delay, to: server, delay: 1s, from: ingress, percent: 50}
  - {kind: abort, to: client, status: 503}
  - {kind: delay, to: client, delay: 1s}
YAML
} > "$work/pairfaults.yaml"

up_pair a pair
up_pair f pairfaults

echo "instructions per request of the caller sidecar (callgrind, ${seconds}s of wrk -t1 -c4):"
for label in a f; do
  name=pair; [ $label = f ] && name=pairfaults
  callgrind_clone "$label" "$name" "$seconds"
done
# KEEP=DIR keeps the callgrind reports (inclusive counts, demangled) for a closer look.
if [ -n "${KEEP:-}" ]; then cp "$work"/inclusive-a.txt "$work"/inclusive-f.txt "$work"/requests-a "$work"/requests-f "$KEEP"/; fi
PYTHONPATH=Benchmarks python3 - "$work" <<'PY'
import sys
from callgrind_totals import load, per_request
per = {}
for label in ("a", "f"):
    totals, requests = load(sys.argv[1], label)
    per[label] = per_request(totals, requests)
    fault = max((v for k, v in totals.items() if "FaultFilter" in k), default=0) / requests
    print(f"  {label}: {requests} requests, {per[label]:.0f} instructions/request (FaultFilter {fault:.0f})")
print(f"  f/a: {per['f'] / per['a']:.4f}x ({per['f'] - per['a']:+.0f} instructions/request)")
PY

[ "$rounds" -gt 0 ] || exit 0
echo "wrk -t1 -c16, ${seconds}s each, $rounds rounds: label req/s p50-ms p99-ms errors caller-us/req callee-us/req"
for round in $(seq 1 "$rounds"); do
  order="a f"; [ $((round % 2)) -eq 0 ] && order="f a"
  for label in $order; do run "$label" "$seconds" | tee -a "$work/rounds.txt"; done
done
python3 - "$work/rounds.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
med = {label: statistics.median(float(r[1]) for r in rows if r[0] == label) for label in ("a", "f")}
print(f"median req/s a {med['a']:.0f}, f {med['f']:.0f}: f/a {med['f'] / med['a']:.3f}x (goal >= 0.98)")
PY
for address in ${admin[f]}; do
  curl -s "http://$address/stats" | python3 -c 'import json,sys; f=json.load(sys.stdin)["faults"]; bad={k:v for k,v in f.items() if v["matched"]}; print("  faults matched nothing" if not bad else f"  faults matched requests: {bad}")'
done
