#!/usr/bin/env bash
# What observability costs on the data path, measured side by side. Run by hand (not in CI):
#
#   swift build -c release --static-swift-stdlib && Benchmarks/observability.sh [SECONDS] [ROUNDS]
#
# Two sidecar pairs (pipeline.sh's topology a: no policy, mtls disabled), the same binary:
#   on   every default: metrics, the access log (a JSON line per request on each side),
#        tracing (a span per request and side, sent to the control plane);
#   off  `mesh: {accessLog: false, tracing: {sampling: 0}}`: metrics only (they cannot be
#        turned off: scenarios and `status` read them; their share is read from the profile),
#        and `traceparent` still passed on.
# 1. The caller sidecar's instructions per request under callgrind (a second sidecar of the
#    caller's instance, wrk -t1 -c4 for SECONDS: noise-free), for each pair, with what
#    counting a request's end takes of it (ProxyExchange.recordMetrics: the metrics, and the
#    access log's line and the span when on).
# 2. wrk -t1 -c16 through the first pair in ROUNDS rounds, each with telemetry on and off
#    (`meshbed telemetry set` switches the same processes live, so both sides of a round run
#    where the scheduler placed them; the order reversed every other round): requests/s, p50,
#    p99, each proxy's CPU time per request; on/off medians and each round's on/off.
#    Goal (issue 11): on at least 0.95x off's requests/s. Then an open loop at a fixed 1000
#    requests/s (meshbed load --rate) in ROUNDS rounds the same way: p50 and p99 without the
#    queueing of a saturated loop, and both proxies' CPU per request. Goal: p50 at most 20 us more.
# 3. A scrape of a sidecar that has called 50 destinations (a client and services s1..s50,
#    each called with 200 and 503 answers: 100 label sets and their histograms): the size of
#    `/metrics` and the time to fetch it, 20 times, median and max. Goal: under 5 ms.
# Needs valgrind, wrk, swift (demangle), curl. MESHBED_BIN=PATH picks the binary; ROUNDS 0
# skips the wrk rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${2:-3}
case $seconds$rounds in *[!0-9]*) echo "usage: Benchmarks/observability.sh [SECONDS] [ROUNDS] (whole numbers)" >&2; exit 2;; esac
[ "$seconds" -gt 0 ] || { echo "SECONDS must be at least 1" >&2; exit 2; }
bin=${MESHBED_BIN:-$PWD/.build/release/meshbed}
[ -x "$bin" ] || { echo "build first: swift build -c release --static-swift-stdlib (or set MESHBED_BIN)" >&2; exit 2; }
for tool in valgrind callgrind_control callgrind_annotate wrk swift curl python3; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

source Benchmarks/pipeline-common.sh  # (the working directory is the repository)

pair_topology pairon none > "$work/pairon.yaml"
pair_topology pairoff none | sed 's/^mesh: {mtls: disabled}$/mesh: {mtls: disabled, accessLog: false, tracing: {sampling: 0}}/' > "$work/pairoff.yaml"
grep -q "accessLog: false" "$work/pairoff.yaml" || { echo "could not write the 'off' topology" >&2; exit 3; }

up_pair on pairon
up_pair off pairoff

echo "instructions per request of the caller sidecar (callgrind, ${seconds}s of wrk -t1 -c4):"
for label in on off; do callgrind_clone "$label" "pair$label" "$seconds"; done
# KEEP=DIR keeps the callgrind reports (inclusive counts, demangled) and outputs for a closer
# look (`callgrind_annotate --auto=yes DIR/cg-on.out* FILE.swift` shows it line by line).
if [ -n "${KEEP:-}" ]; then cp "$work"/inclusive-o* "$work"/requests-o* "$work"/cg-o*.out* "$KEEP"/; fi
PYTHONPATH=Benchmarks python3 - "$work" <<'PY'
import re, sys
from callgrind_totals import load, per_request
per = {}
for label in ("on", "off"):
    totals, requests = load(sys.argv[1], label)
    def share(pattern):
        return sum(v for k, v in totals.items() if re.search(pattern, k)) / requests
    per[label] = per_request(totals, requests)
    ended = share(r"^ProxyExchange\.recordMetrics\(\)$")
    log = share(r"^AccessLog\.append\(") + share(r"^AccessLog\.flush\(\)$")
    spans = share(r"^SpanLog\.append\(") + share(r"^SpanLog\.flush\(\)$")
    print(f"  {label}: {requests} requests, {per[label]:.0f} instructions/request (a request's end counted, logged and"
          f" traced {ended:.0f}: the access log {log:.0f}, the span {spans:.0f})")
print(f"  on/off: {per['on'] / per['off']:.4f}x ({per['on'] - per['off']:+.0f} instructions/request)")
PY

# From here on one pair, its telemetry switched live between the runs.
"$bin" down --state-dir "$work/state-pairoff" >/dev/null
url[off]=${url[on]}
procs[off]=${procs[on]}
switch() {  # label
  local change=(--access-log on --sampling 100)
  [ "$1" = off ] && change=(--access-log off --sampling 0)
  "$bin" telemetry set "${change[@]}" --topology pairon --state-dir "$work/state-pairon" >/dev/null
}

if [ "$rounds" -gt 0 ]; then
  echo "wrk -t1 -c16, ${seconds}s each, $rounds rounds: label req/s p50-ms p99-ms errors caller-us/req callee-us/req"
  for round in $(seq 1 "$rounds"); do
    order="on off"; [ $((round % 2)) -eq 0 ] && order="off on"
    for label in $order; do switch "$label"; run "$label" "$seconds" | tee -a "$work/rounds.txt"; done
  done
  python3 - "$work/rounds.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def med(label, column):
    return statistics.median(float(r[column]) for r in rows if r[0] == label)
rps = {label: med(label, 1) for label in ("on", "off")}
p50 = {label: med(label, 2) for label in ("on", "off")}
# Each round's on/off from its two runs side by side (the machine's drift between rounds cancels).
pairs = [rows[i:i + 2] for i in range(0, len(rows) - 1, 2)]
ratios = sorted(float(next(r for r in pair if r[0] == "on")[1]) / float(next(r for r in pair if r[0] == "off")[1]) for pair in pairs)
print(f"median req/s on {rps['on']:.0f}, off {rps['off']:.0f}: on/off {rps['on'] / rps['off']:.3f}x (goal >= 0.95); "
      f"p50 on {p50['on']:.3f} ms, off {p50['off']:.3f} ms: {1000 * (p50['on'] - p50['off']):+.0f} us (at saturation: queueing)")
print(f"on/off of each round: median {statistics.median(ratios):.3f}x, from {ratios[0]:.3f} to {ratios[-1]:.3f} "
      f"({len(ratios)} rounds)")
PY
fi
if [ "$rounds" -gt 0 ]; then
  # Open loop at a fixed 1000 requests/s (meshbed load --rate): the latency a request pays,
  # without the queueing of a saturated closed loop; both proxies' CPU per request.
  echo "open loop, 1000 requests/s for ${seconds}s (meshbed load --rate 1000 --concurrency 16), $rounds rounds: label p50-us p99-us cpu-us/req"
  for round in $(seq 1 "$rounds"); do
    order="on off"; [ $((round % 2)) -eq 0 ] && order="off on"
    for label in $order; do
      switch "$label"
      # shellcheck disable=SC2086
      before=$(cpu ${procs[$label]})
      "$bin" load --url "${url[$label]}" --header "Host: server" --rate 1000 --duration "${seconds}s" --concurrency 16 --json > "$work/open.json"
      # shellcheck disable=SC2086
      after=$(cpu ${procs[$label]})
      python3 - "$label" "$work/open.json" "$before" "$after" "$(getconf CLK_TCK)" <<'PY' | tee -a "$work/open.txt"
import json, sys
run = json.load(open(sys.argv[2]))
requests = max(run.get("requests", 0), 1)
ticks = sum(int(a) - int(b) for b, a in zip(sys.argv[3].split(), sys.argv[4].split()))
latency = run["latencySeconds"]
print(sys.argv[1], f"{latency['p50'] * 1e6:.0f}", f"{latency['p99'] * 1e6:.0f}", f"{ticks * 1e6 / int(sys.argv[5]) / requests:.2f}")
PY
    done
  done
  python3 - "$work/open.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def med(label, column):
    return statistics.median(float(r[column]) for r in rows if r[0] == label)
print(f"open loop medians: p50 on {med('on', 1):.0f} us, off {med('off', 1):.0f} us: {med('on', 1) - med('off', 1):+.0f} us (goal <= +20); "
      f"both proxies' CPU per request on {med('on', 3):.1f} us, off {med('off', 3):.1f} us")
PY
fi
"$bin" down --state-dir "$work/state-pairon" >/dev/null

# 3. A sidecar that has called 50 destinations, scraped.
{
  echo "kind: Topology"
  echo "name: wide"
  echo "mesh: {mtls: disabled}"
  echo "services:"
  echo "  client: {}"
  for i in $(seq 1 50); do echo "  s$i: {}"; done
} > "$work/wide.yaml"
"$bin" up "$work/wide.yaml" --detach --state-dir "$work/state-wide" >/dev/null
status=$("$bin" status wide --json --state-dir "$work/state-wide")
outbound=$(field "$status" client outbound)
client_admin=$(field "$status" client admin)
for i in $(seq 1 50); do
  for path in / "/?status=503"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: s$i" "http://$outbound$path")
    case $path:$code in /:200|*503:503) ;; *) echo "s$i$path answered $code" >&2; exit 3;; esac
  done
done
python3 - "$client_admin" <<'PY'
import http.client, statistics, sys, time
host, port = sys.argv[1].rsplit(":", 1)
times, size, series = [], 0, 0
connection = http.client.HTTPConnection(host, int(port), timeout=10)
for _ in range(21):
    start = time.perf_counter()
    connection.request("GET", "/metrics")
    response = connection.getresponse()
    body = response.read()
    times.append((time.perf_counter() - start) * 1000)
    assert response.status == 200, response.status
    size = len(body)
    series = sum(1 for line in body.decode().splitlines()
                 if line.startswith('meshbed_requests_total{reporter="source"'))
times = times[1:]  # the first opens the connection
print(f"scrape of a sidecar with 50 destinations: {series} label sets of meshbed_requests_total, {size} bytes; "
      f"{statistics.median(times):.2f} ms median, {max(times):.2f} ms max of 20 (goal < 5 ms)")
PY
