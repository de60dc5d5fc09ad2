#!/usr/bin/env bash
# The mesh's own numbers, measured side by side in one run. Run by hand (not in CI):
#
#   swift build -c release --static-swift-stdlib && Benchmarks/mesh.sh [SECONDS]
#
# 1. time from `meshbed up --detach` to all-ready: bookinfo, and a generated 50-service topology;
# 2. requests/s and p50/p99 of wrk against an echo app directly, through its sidecar's inbound
#    port, through another service's sidecar (outbound → inbound → echo), and through the ingress;
# 3. resident memory of idle sidecars, echo apps and the control plane (bookinfo).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
bin=$PWD/.build/release/meshbed
[ -x "$bin" ] || { echo "build first: swift build -c release --static-swift-stdlib" >&2; exit 2; }
command -v wrk >/dev/null || { echo "needs wrk" >&2; exit 2; }
work=$(mktemp -d)
cleanup() {
  for d in "$work"/state-*; do [ -d "$d" ] && "$bin" down --state-dir "$d" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

ms() { python3 -c "import time; print(int(time.time()*1000))"; }

time_up() {  # file state-dir -> milliseconds
  local start end
  start=$(ms)
  "$bin" up "$1" --detach --state-dir "$2" >/dev/null
  end=$(ms)
  echo $((end - start))
}

python3 - "$work/fifty.yaml" <<'PY'
import sys
lines = ["kind: Topology", "name: fifty", "mesh: {mtls: disabled}", "services:"]
for i in range(50):
    calls = f"calls: [svc-{i+1}]" if i % 10 != 9 and i < 49 else ""
    lines.append(f"  svc-{i}: {{{calls}}}")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY

cat > "$work/pair.yaml" <<'YAML'
kind: Topology
name: pair
mesh: {mtls: disabled}
services:
  client: {}
  server: {}
YAML

echo "== startup (meshbed up --detach until every instance is ready)"
b=$(time_up topologies/bookinfo.yaml "$work/state-bookinfo")
echo "bookinfo (6 instances):      ${b} ms"
sleep 2
python3 - "$work/state-bookinfo/bookinfo/state.json" <<'PY'
import json, sys
state = json.load(open(sys.argv[1]))
def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
sidecars = [rss(i["sidecarPID"]) for i in state["instances"]]
apps = [rss(i["pid"]) for i in state["instances"]]
print(f"idle sidecar resident memory: {min(sidecars)/1024:.1f}-{max(sidecars)/1024:.1f} MB; idle echo app: {min(apps)/1024:.1f}-{max(apps)/1024:.1f} MB; "
      f"control plane: {rss(state['controlPID'])/1024:.1f} MB")
PY
"$bin" down --state-dir "$work/state-bookinfo" >/dev/null
f=$(time_up "$work/fifty.yaml" "$work/state-fifty")
echo "fifty services (50 instances): ${f} ms"
"$bin" down --state-dir "$work/state-fifty" >/dev/null

echo "== data path (wrk -t1 -c16 -d${seconds}s)"
"$bin" up "$work/pair.yaml" --detach --state-dir "$work/state-pair" >/dev/null
status=$("$bin" status pair --json --state-dir "$work/state-pair")
field() { python3 -c "import json,sys; s=json.loads(sys.argv[1]); i=[x for x in s['instances'] if x['service']==sys.argv[2]][0]; print(i[sys.argv[3]])" "$status" "$1" "$2"; }
ingress=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['ingress'])" "$status")
app=$(field server app); inbound=$(field server inbound); outbound=$(field client outbound)
run() {  # label url [host]
  local extra=()
  [ -n "${3:-}" ] && extra=(-H "Host: $3")
  wrk -t1 -c16 -d"${seconds}s" --latency "${extra[@]}" "$2" > "$work/wrk.txt"
  python3 - "$1" "$work/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[2]).read()
def ms(label):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), text, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
bad = " ERRORS" if ("Socket errors" in text or "Non-2xx" in text) else ""
print(f"{sys.argv[1]:44} {rps:9.0f} req/s  p50 {ms('50%'):.3f} ms  p99 {ms('99%'):.3f} ms{bad}")
PY
}
run "direct to echo" "http://$app/"
run "sidecar inbound -> echo" "http://$inbound/"
run "client sidecar -> server sidecar -> echo" "http://$outbound/" server
run "ingress -> server sidecar -> echo" "http://$ingress/" server

