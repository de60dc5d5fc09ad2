#!/usr/bin/env bash
# What the sidecar's resilience filters cost in instructions per request, counted by
# valgrind's callgrind: unlike requests/s, the count does not move with the machine's load.
# Run by hand (not in CI):
#
#   swift build -c release --static-swift-stdlib && Benchmarks/pipeline-instructions.sh [SECONDS]
#
# Brings up pipeline.sh's topologies a (no policy), b (every resilience filter for `server`,
# leastRequest) and b2 (the same with ewma), and b with one thing left out, to say what each
# costs: b-pt (no perTryTimeout), b-cb (no circuitBreaker), b-lr (roundRobin). For each, a
# second caller sidecar (the same instance's command line, its own ports) runs under
# callgrind with instrumentation off;
# after a warm-up, instrumentation is on for SECONDS (default 10) of wrk -t1 -c4 with
# `Host: server` against its outbound port, and the sidecar's `/stats` counts the requests.
# Prints the instructions per request of the sidecar's event loop (the control plane's
# snapshot decoding left out: a second sidecar of one instance makes snapshots change) and,
# for b and b2, the functions whose inclusive count per request grew most over a's.
# Needs valgrind, wrk and `swift demangle`. MESHBED_BIN=PATH picks the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
case $seconds in ''|*[!0-9]*) echo "usage: Benchmarks/pipeline-instructions.sh [SECONDS] (a whole number)" >&2; exit 2;; esac
[ "$seconds" -gt 0 ] || { echo "SECONDS must be at least 1" >&2; exit 2; }
bin=${MESHBED_BIN:-$PWD/.build/release/meshbed}
[ -x "$bin" ] || { echo "build first: swift build -c release --static-swift-stdlib (or set MESHBED_BIN)" >&2; exit 2; }
for tool in valgrind callgrind_control callgrind_annotate wrk swift; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

source Benchmarks/pipeline-common.sh  # (the working directory is the repository)

measure() {  # label topology-name variant (see pair_topology)
  pair_topology "$2" "$3" > "$work/$2.yaml"
  "$bin" up "$work/$2.yaml" --detach --state-dir "$work/state-$2" >/dev/null
  callgrind_clone "$1" "$2" "$seconds"
  "$bin" down --state-dir "$work/state-$2" >/dev/null
}

measure a pair none
measure b pairpolicy leastRequest
measure b2 pairewma ewma
measure b-pt pairnopertry noPerTryTimeout
measure b-cb pairnobreaker noCircuitBreaker
measure b-lr pairroundrobin roundRobin

python3 - "$work" <<'PY'
import re, sys
work = sys.argv[1]
def load(label):
    totals = {}
    for line in open(f"{work}/inclusive-{label}.txt"):
        m = re.match(r"\s*([\d,]+) \([\s\d.]+%\)\s+(.*)$", line)
        if not m:
            continue
        name = m.group(2)
        name = re.sub(r" \([\d,]+x\)$", "", name)  # the call count
        name = re.sub(r" \[[^]]*\]$", "", name)
        name = name.split(":", 1)[1] if ":" in name else name
        totals[name] = max(totals.get(name, 0), int(m.group(1).replace(",", "")))
    requests = int(open(f"{work}/requests-{label}").read())
    control = max((v for k, v in totals.items() if "ControlClient" in k or "OneShotRequest" in k), default=0)
    return totals, requests, control
labels = ("a", "b", "b2", "b-pt", "b-cb", "b-lr")
runs = {label: load(label) for label in labels}
per = {}
for label, (totals, requests, control) in runs.items():
    loop = totals.get("EventLoop.run()", 0)
    per[label] = (loop - control) / requests
    print(f"{label:4} {requests:6d} requests  {per[label]:7.0f} instructions/request in the event loop "
          f"(control plane's {control / requests:.0f}/request left out)")
for label in labels[1:]:
    print(f"{label}/a: {per[label] / per['a']:.3f}x the instructions per request ({per[label] - per['a']:+.0f})")
for label, what in (("b-pt", "perTryTimeout"), ("b-cb", "circuitBreaker"), ("b-lr", "leastRequest over roundRobin")):
    print(f"{what} costs {per['b'] - per[label]:+.0f} instructions/request (b - {label})")
for label in ("b", "b2"):
    (ta, ra, _), (tb, rb, _) = runs["a"], runs[label]
    # Leave out what encloses most of a request (the event loop, reading a connection).
    rows = sorted(((tb.get(k, 0) / rb - ta.get(k, 0) / ra, k) for k in set(ta) | set(tb)
                   if not re.search("ControlClient|OneShotRequest|JSON|Decodable|events annotated", k) and ta.get(k, 0) / ra < per["a"] / 2), reverse=True)
    print(f"   grew most (inclusive instructions/request, {label} - a; callers include their callees):")
    for delta, name in rows[:25]:
        if delta < 80:
            break
        print(f"   {delta:+6.0f}  {name[:110]}")
PY
