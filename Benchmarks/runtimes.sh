#!/usr/bin/env bash
# What the isolated runtimes cost against the process runtime, side by side. Run by hand
# as root (not in CI):
#
#   swift build -c release --static-swift-stdlib && sudo Benchmarks/runtimes.sh [ROUNDS] [SECONDS]
#
# 1. Start-up: `meshbed up topologies/bookinfo.yaml --detach` until it returns (every
#    instance ready), then `down`, ROUNDS times per runtime, interleaved: median and max.
#    Goal (issue 12): --runtime netns under 1.5 s, --runtime container under 5 s (the image
#    built beforehand: `meshbed image build`, which `up` does itself when it is missing).
# 2. A sidecar pair (pipeline.sh's topology a, mtls disabled) on each runtime: wrk -t1 -c16
#    to the client's outbound port for SECONDS, ROUNDS interleaved rounds (the order
#    reversed every other round): requests/s, p50, p99, both proxies' CPU per request; the
#    netns pair's traffic crosses the bridge and two veth pairs, the container pair's the
#    engine's bridge network, the process pair's loopback. In containers the proxies' pids
#    are those of the processes in the sidecar containers (`podman inspect`).
# Needs root, iproute2's ip, podman, wrk, curl, python3. MESHBED_BIN=PATH picks the binary.
# RUNTIMES="process netns" leaves the container runtime out.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
seconds=${2:-5}
case $rounds$seconds in *[!0-9]*) echo "usage: Benchmarks/runtimes.sh [ROUNDS] [SECONDS] (whole numbers)" >&2; exit 2;; esac
bin=${MESHBED_BIN:-$PWD/.build/release/meshbed}
[ -x "$bin" ] || { echo "build first: swift build -c release --static-swift-stdlib (or set MESHBED_BIN)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "--runtime netns needs root" >&2; exit 2; }
runtimes=${RUNTIMES:-process netns container}
for tool in ip wrk curl python3; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }; done
case " $runtimes " in *" container "*) command -v podman >/dev/null || { echo "needs podman (or RUNTIMES=\"process netns\")" >&2; exit 2; }
  "$bin" image build >/dev/null;; esac
# ROUND's order of the runtimes: as given, reversed every other round.
order() { if [ $(($1 % 2)) -eq 0 ]; then echo "$runtimes" | tr ' ' '\n' | tac | tr '\n' ' '; else echo "$runtimes"; fi; }

source Benchmarks/pipeline-common.sh  # (the working directory is the repository)

echo "up --detach to ready, bookinfo, $rounds rounds: runtime seconds"
for round in $(seq 1 "$rounds"); do
  for runtime in $(order "$round"); do
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
for runtime in dict.fromkeys(r[0] for r in rows):
    times = [float(r[1]) for r in rows if r[0] == runtime]
    print(f"  {runtime}: median {statistics.median(times):.3f} s, max {max(times):.3f} s")
PY

pair_topology pair none > "$work/pair.yaml"
for runtime in $runtimes; do
  "$bin" up "$work/pair.yaml" --detach --runtime "$runtime" --state-dir "$work/state-$runtime" >/dev/null
  status=$("$bin" status pair --json --state-dir "$work/state-$runtime")
  url[$runtime]="http://$(field "$status" client outbound)/"
  state=$(cat "$work/state-$runtime/pair/state.json")
  if [ "$runtime" = container ]; then
    containers=$(python3 -c "import json,sys; s=json.loads(sys.argv[1]); print(' '.join(c for i in s['instances'] for c in i['containers'] if c.endswith('-sidecar')))" "$status")
    # shellcheck disable=SC2086
    procs[$runtime]=$(podman inspect --format '{{.State.Pid}}' $containers | tr '\n' ' ')
  else
    procs[$runtime]="$(field "$state" client sidecarPID) $(field "$state" server sidecarPID)"
  fi
done
echo "wrk -t1 -c16, ${seconds}s each, $rounds rounds: runtime req/s p50-ms p99-ms errors caller-us/req callee-us/req"
for round in $(seq 1 "$rounds"); do
  for runtime in $(order "$round"); do run "$runtime" "$seconds" | tee -a "$work/rounds.txt"; done
done
python3 - "$work/rounds.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
med = lambda runtime, column: statistics.median(float(r[column]) for r in rows if r[0] == runtime)
runtimes = list(dict.fromkeys(r[0] for r in rows))
for runtime in runtimes:
    ratio = f", {runtime}/process {med(runtime, 1) / med('process', 1):.3f}x" if "process" in runtimes and runtime != "process" else ""
    cpu = " / ".join(f"{med(runtime, c):.2f}" for c in range(5, len(rows[0])))
    print(f"  {runtime}: median req/s {med(runtime, 1):.0f}{ratio}; p50 {med(runtime, 2):.3f} ms, p99 {med(runtime, 3):.3f} ms; "
          f"proxies' CPU {cpu} us/req")
PY
