#!/usr/bin/env bash
# How exactly a link latency fault delays requests under load. Run by hand (not in CI):
#
#   swift build -c release --static-swift-stdlib && Benchmarks/link-latency.sh [SECONDS] [LATENCY-MS] [JITTER-MS]
#
# A sidecar pair with `mtls: strict` (pipeline.sh's topology, no policy); `meshbed load` at a
# fixed 1000 requests/s (open loop, 32 connections) through the caller's sidecar for SECONDS,
# first without a fault, then with `{kind: latency, to: server, from: client, latency:
# LATENCY-MS, jitter: JITTER-MS}` (downstream: each answer is held), added live with `meshbed
# fault add`, then once more after `fault clear`. Prints p50, p90, p99 of each and the
# added latency at each percentile. Goal (issue 10): p50 within 1 ms of the configured
# latency (default 20 ms, jitter 0). MESHBED_BIN=PATH picks the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
latency=${2:-20}
jitter=${3:-0}
case $seconds$latency$jitter in *[!0-9]*) echo "usage: Benchmarks/link-latency.sh [SECONDS] [LATENCY-MS] [JITTER-MS] (whole numbers)" >&2; exit 2;; esac
[ "$seconds" -gt 0 ] || { echo "SECONDS must be at least 1" >&2; exit 2; }
bin=${MESHBED_BIN:-$PWD/.build/release/meshbed}
[ -x "$bin" ] || { echo "build first: swift build -c release --static-swift-stdlib (or set MESHBED_BIN)" >&2; exit 2; }

source Benchmarks/pipeline-common.sh  # (the working directory is the repository)

pair_topology pair none strict > "$work/pair.yaml"
"$bin" up "$work/pair.yaml" --detach --state-dir "$work/s" >/dev/null
outbound=$(field "$("$bin" status pair --json --state-dir "$work/s")" client outbound)
measure() {  # label
  "$bin" load --url "http://$outbound/" --header "Host: server" --rate 1000 --duration "${seconds}s" --concurrency 32 --json > "$work/$1.json"
}
measure before
"$bin" fault add latency --to server --from client --latency "${latency}ms" --jitter "${jitter}ms" --state-dir "$work/s"
measure with
"$bin" fault clear --all --state-dir "$work/s" > /dev/null
measure after
"$bin" down --state-dir "$work/s" > /dev/null
python3 - "$work" "$latency" <<'PY'
import json, sys
work, latency = sys.argv[1], float(sys.argv[2])
runs = {label: json.load(open(f"{work}/{label}.json")) for label in ("before", "with", "after")}
for label, run in runs.items():
    l = run["latencySeconds"]
    print(f"{label:6} {run['requests']} requests, status {run['status']}: p50 {l['p50']*1000:.2f} ms  p90 {l['p90']*1000:.2f} ms  p99 {l['p99']*1000:.2f} ms")
base = {p: (runs['before']['latencySeconds'][p] + runs['after']['latencySeconds'][p]) / 2 for p in ("p50", "p90", "p99")}
added = {p: (runs['with']['latencySeconds'][p] - base[p]) * 1000 for p in base}
print("added by the fault: " + ", ".join(f"{p} {v:.2f} ms" for p, v in added.items()) + f" (configured {latency:g} ms)")
print(f"goal p50 within 1 ms: {'met' if abs(added['p50'] - latency) <= 1 else 'NOT met'} ({added['p50'] - latency:+.2f} ms)")
PY
