#!/usr/bin/env bash
# Side-by-side throughput of `meshbed echo` and nginx answering a fixed 200, and of
# `meshbed load` against wrk, on this machine in one run. Run by hand (not in CI):
#
#   swift build -c release --static-swift-stdlib && Benchmarks/echo-vs-nginx.sh [SECONDS] [CONNECTIONS]
#
# Needs nginx and wrk (apt-get install nginx-light wrk). Prints one table; the ratios
# are what to compare across machines, not the absolute numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-50}
bin=.build/release/meshbed
[ -x "$bin" ] || { echo "build first: swift build -c release --static-swift-stdlib" >&2; exit 2; }
command -v nginx >/dev/null && command -v wrk >/dev/null || { echo "needs nginx and wrk" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {
  for _ in $(seq 1 200); do
    curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
    sleep 0.05
  done
  echo "nothing answers on port $1" >&2; exit 3
}

start_nginx() {  # workers port
  mkdir -p "$work/nginx-$1"
  cat > "$work/nginx-$1/nginx.conf" <<CONF
worker_processes $1;
daemon off;
pid $work/nginx-$1/nginx.pid;
error_log $work/nginx-$1/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$2 reuseport;
    location / { return 200 "ok\n"; }
  }
}
CONF
  nginx -c "$work/nginx-$1/nginx.conf" -p "$work/nginx-$1" &
  pids+=($!)
  wait_port "$2"
}

start_echo() {  # threads port
  "$bin" echo --port "$2" --threads "$1" >/dev/null &
  pids+=($!)
  wait_port "$2"
}

# wrk: prints "rps p50 p99" (latencies in ms).
run_wrk() {
  wrk -t "$1" -c "$connections" -d "${seconds}s" --latency "$2" > "$work/wrk.txt"
  python3 - "$work/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = "Socket errors" in text or "Non-2xx" in text
print(f"{rps:.0f} {ms('50%'):.3f} {ms('99%'):.3f}{' ERRORS' if errors else ''}")
PY
}

run_load() {  # url -> "rps p50 p99"
  "$bin" load --url "$1" --duration "${seconds}s" --concurrency "$connections" --threads "$2" --json > "$work/load.json"
  python3 - "$work/load.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
l = r["latencySeconds"]
print(f'{r["requestsPerSecond"]:.0f} {l["p50"]*1000:.3f} {l["p99"]*1000:.3f}{" ERRORS" if r["errors"] else ""}')
PY
}

printf "%-44s %10s %9s %9s\n" "case ($connections connections, ${seconds}s)" "req/s" "p50 ms" "p99 ms"
for workers in 1 2; do
  np=$(free_port); ep=$(free_port)
  start_nginx "$workers" "$np"
  start_echo "$workers" "$ep"
  read -r n_rps n_p50 n_p99 n_err <<<"$(run_wrk "$workers" "http://127.0.0.1:$np/")"
  read -r e_rps e_p50 e_p99 e_err <<<"$(run_wrk "$workers" "http://127.0.0.1:$ep/")"
  printf "%-44s %10s %9s %9s %s\n" "wrk -> nginx, $workers worker(s)" "$n_rps" "$n_p50" "$n_p99" "${n_err:-}"
  printf "%-44s %10s %9s %9s %s\n" "wrk -> meshbed echo, $workers thread(s)" "$e_rps" "$e_p50" "$e_p99" "${e_err:-}"
  python3 -c "print(f'{\"  echo/nginx\":44} {$e_rps/$n_rps:10.2f} {\"\":9} {$e_p99/$n_p99:9.2f}')"
  read -r l_rps l_p50 l_p99 l_err <<<"$(run_load "http://127.0.0.1:$np/" "$workers")"
  printf "%-44s %10s %9s %9s %s\n" "meshbed load -> nginx, $workers thread(s)" "$l_rps" "$l_p50" "$l_p99" "${l_err:-}"
  python3 -c "print(f'{\"  load/wrk (both against nginx)\":44} {$l_rps/$n_rps:10.2f}')"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=()
done
