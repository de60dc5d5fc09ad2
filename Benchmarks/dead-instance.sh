#!/usr/bin/env bash
# How fast a dead instance leaves the ingress's configuration. Run by hand (not in CI):
#
#   swift build -c release --static-swift-stdlib && Benchmarks/dead-instance.sh [ROUNDS]
#
# Ten echo instances; each round SIGKILLs one instance's app or (alternately) its sidecar and
# polls the ingress's admin /config on one keep-alive connection until the instance is gone.
# The time covers the whole path: the supervisor reaping the child (SIGCHLD), its
# POST /v1/instances/ID/down, the control plane's new snapshot, the ingress's long poll.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-8}
bin=${MESHBED:-$PWD/.build/release/meshbed}
[ -x "$bin" ] || { echo "build first: swift build -c release --static-swift-stdlib" >&2; exit 2; }
[ "$rounds" -ge 1 ] && [ "$rounds" -le 10 ] || { echo "ROUNDS: 1 to 10" >&2; exit 2; }
work=$(mktemp -d)
trap '"$bin" down dead --state-dir "$work/state" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cat > "$work/dead.yaml" <<'YAML'
kind: Topology
name: dead
mesh: {mtls: disabled}
services:
  svc: {replicas: 10}
YAML
"$bin" up "$work/dead.yaml" --detach --state-dir "$work/state" >/dev/null
python3 - "$work/state/dead/state.json" "$rounds" <<'PY'
import http.client, json, os, signal, statistics, sys, time
state = json.load(open(sys.argv[1]))
host, port = state["ingressAdmin"].split(":")
connection = http.client.HTTPConnection(host, int(port), timeout=2)
def routed():
    connection.request("GET", "/config")
    snapshot = json.loads(connection.getresponse().read())["snapshot"]
    return {e["id"] for s in snapshot["services"].values() for v in s["versions"].values() for e in v}
times = {"app": [], "sidecar": []}
for round, instance in enumerate(state["instances"][: int(sys.argv[2])]):
    which = "app" if round % 2 == 0 else "sidecar"
    assert instance["id"] in routed(), instance["id"]
    started = time.monotonic()
    os.kill(instance["pid" if which == "app" else "sidecarPID"], signal.SIGKILL)
    while instance["id"] in routed():
        if time.monotonic() - started > 10: sys.exit(f"{instance['id']} still routed after 10 s")
    times[which].append((time.monotonic() - started) * 1000)
for which, values in times.items():
    if values:
        print(f"{which} killed: gone from the ingress in {min(values):.1f}-{max(values):.1f} ms (median {statistics.median(values):.1f}, {len(values)} rounds)")
PY
