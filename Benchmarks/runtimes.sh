#!/usr/bin/env bash
# What the isolated runtimes cost against the process runtime, side by side. Run by hand
# as root (not in CI):
#
#   swift build -c release --static-swift-stdlib && sudo Benchmarks/runtimes.sh [ROUNDS] [SECONDS]
#
# 1. Start-up: `meshbed up topologies/bookinfo.yaml --detach` until it returns (every
#    instance ready), then `down`, ROUNDS times per runtime, interleaved: median and max.
#    Goal (issue 12): --runtime netns under 1.5 s.
# 2. A sidecar pair (pipeline.sh's topology a, mtls disabled) on each runtime: wrk -t1 -c16
#    to the client's outbound port for SECONDS, ROUNDS interleaved rounds (the order
#    reversed every other round): requests/s, p50, p99, both proxies' CPU per request; the
#    netns pair's traffic crosses the bridge and two veth pairs, the process pair's loopback.
# Needs root, iproute2's ip, wrk, curl, python3. MESHBED_BIN=PATH picks the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
seconds=${2:-5}
case $rounds$seconds in *[!0-9]*) echo "usage: Benchmarks/runtimes.sh [ROUNDS] [SECONDS] (whole numbers)" >&2; exit 2;; esac
bin=${MESHBED_BIN:-$PWD/.build/release/meshbed}
[ -x "$bin" ] || { echo "build first: swift build -c release --static-swift-stdlib (or set MESHBED_BIN)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "--runtime netns needs root" >&2; exit 2; }
for tool in ip wrk curl python3; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }; done

source Benchmarks/pipeline-common.sh  # (the working directory is the repository)

echo "up --detach to ready, bookinfo, $rounds rounds: runtime seconds"
for round in $(seq 1 "$rounds"); do
  order="process netns"; [ $((round % 2)) -eq 0 ] && order="netns process"
  for runtime in $order; do
    start=$(date +%s.%N)
    "$bin" up topologies/bookinfo.yaml --detach --runtime "$runtime" --state-dir "$work/state-up-$runtime" >/dev/null
    end=$(date +%s.%N)
    "$bin" down --state-dir "$work/state-up-$runtime" >/dev/null
    echo "$runtime $(python3 -c "print(f'{$end - $start:.3f}')")" | tee -a "$work/up.txt"
  done
done
python3 - "$work/up.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for runtime in ("process", "netns"):
    times = [float(r[1]) for r in rows if r[0] == runtime]
    print(f"  {runtime}: median {statistics.median(times):.3f} s, max {max(times):.3f} s")
PY

pair_topology pair none > "$work/pair.yaml"
for runtime in process netns; do
  "$bin" up "$work/pair.yaml" --detach --runtime "$runtime" --state-dir "$work/state-$runtime" >/dev/null
  status=$("$bin" status pair --json --state-dir "$work/state-$runtime")
  url[$runtime]="http://$(field "$status" client outbound)/"
  state=$(cat "$work/state-$runtime/pair/state.json")
  procs[$runtime]="$(field "$state" client sidecarPID) $(field "$state" server sidecarPID)"
done
echo "wrk -t1 -c16, ${seconds}s each, $rounds rounds: runtime req/s p50-ms p99-ms errors caller-us/req callee-us/req"
for round in $(seq 1 "$rounds"); do
  order="process netns"; [ $((round % 2)) -eq 0 ] && order="netns process"
  for runtime in $order; do run "$runtime" "$seconds" | tee -a "$work/rounds.txt"; done
done
python3 - "$work/rounds.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
med = lambda runtime, column: statistics.median(float(r[column]) for r in rows if r[0] == runtime)
print(f"median req/s process {med('process', 1):.0f}, netns {med('netns', 1):.0f}: netns/process {med('netns', 1) / med('process', 1):.3f}x; "
      f"p50 {med('process', 2):.3f} / {med('netns', 2):.3f} ms, p99 {med('process', 3):.3f} / {med('netns', 3):.3f} ms")
PY
