#!/usr/bin/env bash
# What mutual TLS between sidecars costs, and how it compares with haproxy and nginx doing
# the same, measured side by side in one run. Run by hand (not in CI):
#
#   swift build -c release --static-swift-stdlib && Benchmarks/mtls.sh [SECONDS] [ROUNDS] [HANDSHAKE-SECONDS]
#
# wrk -t1 -c16 (GET / with Host: server) through a pair of proxies: caller's proxy -> callee's
# proxy -> echo app, four ways, in ROUNDS (default 2) rounds interleaved a, b, c, d, a, b, ...:
#   a  sidecar pair, `mtls: disabled` (pipeline.sh's pair with no policy);
#   b  sidecar pair, `mtls: strict`: TLS 1.3 between the sidecars, pooled keep-alive
#      connections; the callee sidecar's /stats `inboundTLS` says how many handshakes a
#      run cost (it should be about 0: the pool keeps its connections);
#   c  haproxy pair (nbthread 1 each, as a sidecar has one event loop) with mutual TLS
#      between them: the callee's frontend `ssl crt ... ca-file ... verify required`, the
#      caller's server line `ssl crt ... ca-file ... verify required verifyhost server`, TLS 1.3
#      only, X25519/P-256, no tickets, `http-reuse always`; handshakes from its stats socket
#      (CumSslConns);
#   d  nginx pair (one worker each) likewise: `proxy_ssl_certificate`, `proxy_ssl_verify on`,
#      upstream keepalive on the caller's side, `ssl_verify_client on` on the callee's.
# c and d forward to a's echo app. Their certificates are P-256, signed with openssl by b's
# mesh root (the control plane's root-cert.pem and root-key.pem): the same chain length as
# the sidecars' and the same root, so every variant verifies one signature per peer.
# haproxy and nginx check the root and the name; the sidecars also check the SPIFFE id.
# Each run prints requests/s, p50, p99 and each proxy's CPU time per request (user + system,
# from /proc); then, per round, b/a and b/c (and b/d), and the medians.
#
# Then an open loop: `meshbed load --rate 1000 --concurrency 16` for SECONDS against each
# variant, twice interleaved: both proxies' CPU time per request at a fixed rate.
#
# Then full handshakes: `openssl s_time -new` for HANDSHAKE-SECONDS (default 5) against the
# strict sidecar's inbound port with a client certificate the mesh root signed
# (spiffe://TD/ns/pairmtls/sa/client), against the haproxy callee and against the nginx
# callee, twice interleaved: handshakes per second and the server's CPU time per handshake
# (its handshakes per CPU-second, which the machine's load moves less). The sidecar's
# /stats must count every one as inboundTLS and none as tlsRejected (in TLS 1.3 the client
# finishes before the server has checked its certificate, so s_time alone would not notice a
# refusal). b's sidecars' resident memory (certificates loaded) after the wrk runs and after
# the handshakes.
# Needs wrk, haproxy, nginx and openssl. MESHBED_BIN=PATH picks the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${2:-2}
hs_seconds=${3:-5}
bin=${MESHBED_BIN:-$PWD/.build/release/meshbed}
case $seconds$rounds$hs_seconds in
  *[!0-9]*) echo "usage: Benchmarks/mtls.sh [SECONDS] [ROUNDS] [HANDSHAKE-SECONDS] (whole numbers)" >&2; exit 2;;
esac
[ "$seconds" -gt 0 ] && [ "$rounds" -gt 0 ] && [ "$hs_seconds" -gt 0 ] || { echo "every argument must be at least 1" >&2; exit 2; }
[ -x "$bin" ] || { echo "build first: swift build -c release --static-swift-stdlib (or set MESHBED_BIN)" >&2; exit 2; }
# MTLS_PATH: the request's path (default /). The echo app's JSON answer repeats the request's
# headers, so b's (which carry x-forwarded-client-cert from the callee sidecar) is longer
# than c's and d's; /?size=N makes every variant's answer exactly N bytes.
path=${MTLS_PATH:-/}
case $path in /*) ;; *) echo "MTLS_PATH must start with /" >&2; exit 2;; esac
for tool in wrk nginx openssl curl python3; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$haproxy" ] || { echo "needs haproxy (apt-get install haproxy)" >&2; exit 2; }

source Benchmarks/pipeline-common.sh  # (the working directory is the repository)

declare -A admin server_admin
up() {  # label name mtls
  pair_topology "$2" none "$3" > "$work/$2.yaml"
  "$bin" up "$work/$2.yaml" --detach --state-dir "$work/state-$2" >/dev/null
  local status state
  status=$("$bin" status "$2" --json --state-dir "$work/state-$2")
  url[$1]="http://$(field "$status" client outbound)$path"
  admin[$1]=$(field "$status" client admin)
  server_admin[$1]=$(field "$status" server admin)
  state=$(cat "$work/state-$2/$2/state.json")
  procs[$1]="$(field "$state" client sidecarPID) $(field "$state" server sidecarPID)"
  [ "$1" = a ] && echo_app=$(field "$status" server app)
  [ "$1" = b ] && { inbound=$(field "$status" server inbound); identity=$(field "$status" client identity); }
  return 0
}
up a pair disabled
up b pairmtls strict

stat() {  # admin-address key
  curl -s "http://$1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}
# b must really be mTLS: the first request through it is one handshake at the callee.
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: server" "${url[b]}")
[ "$code" = 200 ] && [ "$(stat "${server_admin[b]}" inboundTLS)" -ge 1 ] \
  || { echo "b: no request through the strict pair over TLS (HTTP $code)" >&2; exit 3; }

# Certificates for haproxy, nginx and s_time, signed by b's mesh root.
ca=$work/state-pairmtls/pairmtls/ca
[ -f "$ca/root-key.pem" ] || { echo "no mesh root key in $ca" >&2; exit 3; }
certs=$work/certs
mkdir -p "$certs"
cp "$ca/root-cert.pem" "$certs/root.pem"
make_cert() {  # name subjectAltName extendedKeyUsage
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -keyout "$certs/$1.key" -out "$certs/$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' "$2" "$3" \
    > "$certs/$1.ext"
  openssl x509 -req -in "$certs/$1.csr" -CA "$ca/root-cert.pem" -CAkey "$ca/root-key.pem" -CAcreateserial \
    -days 1 -sha256 -extfile "$certs/$1.ext" -out "$certs/$1.pem" 2>/dev/null
  cat "$certs/$1.pem" "$certs/$1.key" > "$certs/$1.both.pem"  # haproxy's crt
}
namespace=${identity%/sa/*}  # spiffe://TD/ns/pairmtls
make_cert server "URI:$namespace/sa/server,DNS:server" serverAuth
make_cert client "URI:$namespace/sa/client" clientAuth

# c: haproxy pair with mutual TLS between the two.
haproxy_side() {  # dir side listen bind-options target server-options
  cat > "$1/$2.cfg" <<CONF
global
  nbthread 1
  maxconn 4096
  stats socket $1/$2.sock
defaults
  mode http
  option http-keep-alive
  http-reuse always
  retries 0
frontend in
  bind 127.0.0.1:$3 $4
  default_backend out
backend out
  server s1 $5 $6
CONF
  "$haproxy" -q -f "$1/$2.cfg" &
  pids+=($!)
  procs[c]="${procs[c]:-}${procs[c]:+ }$!"
}
c_front=$(free_port); c_back=$(free_port)
mkdir -p "$work/haproxy"
tls13="ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.3"
haproxy_side "$work/haproxy" front "$c_front" "" "127.0.0.1:$c_back" \
  "ssl crt $certs/client.both.pem ca-file $certs/root.pem verify required verifyhost server $tls13"
haproxy_side "$work/haproxy" back "$c_back" \
  "ssl crt $certs/server.both.pem ca-file $certs/root.pem verify required $tls13 curves X25519:P-256 no-tls-tickets" "$echo_app" ""
url[c]="http://127.0.0.1:$c_front$path"
wait_port "$c_front"
haproxy_handshakes() {  # the callee haproxy's TLS connections accepted so far
  python3 - "$work/haproxy/back.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show info\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
print([l.split(":")[1].strip() for l in data.decode().splitlines() if l.startswith("CumSslConns:")][0])
PY
}

# d: nginx pair likewise (one worker each; the worker is what `run` measures).
nginx_side() {  # dir side conf-body
  mkdir -p "$1"
  cat > "$1/$2.conf" <<CONF
worker_processes 1;
daemon off;
pid $1/$2.pid;
error_log $1/$2-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
$3
}
CONF
  nginx -c "$1/$2.conf" -p "$1" &
  pids+=($!)
}
d_front=$(free_port); d_back=$(free_port)
nginx_side "$work/nginx" back "  upstream app { server $echo_app; keepalive 32; }
  server {
    listen 127.0.0.1:$d_back ssl;
    ssl_certificate $certs/server.pem;
    ssl_certificate_key $certs/server.key;
    ssl_client_certificate $certs/root.pem;
    ssl_verify_client on;
    ssl_protocols TLSv1.3;
    ssl_ecdh_curve X25519:prime256v1;
    ssl_session_tickets off;
    ssl_session_cache off;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
  }"
nginx_side "$work/nginx" front "  upstream back { server 127.0.0.1:$d_back; keepalive 32; }
  server {
    listen 127.0.0.1:$d_front;
    location / {
      proxy_pass https://back;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_ssl_certificate $certs/client.pem;
      proxy_ssl_certificate_key $certs/client.key;
      proxy_ssl_trusted_certificate $certs/root.pem;
      proxy_ssl_verify on;
      proxy_ssl_name server;
      proxy_ssl_protocols TLSv1.3;
    }
  }"
url[d]="http://127.0.0.1:$d_front$path"
wait_port "$d_front"
nginx_worker() { pgrep -P "$(cat "$work/nginx/$1.pid")" | head -1; }
procs[d]="$(nginx_worker front) $(nginx_worker back)"

# Every variant answers 200 from the echo app; curl with the mesh-signed client certificate
# reaches it through each TLS callee directly (b's strict inbound, haproxy's, nginx's).
for l in a b c d; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: server" "${url[$l]}")
  [ "$code" = 200 ] || { echo "$l answers HTTP $code" >&2; exit 3; }
done
for address in "$inbound" "127.0.0.1:$c_back" "127.0.0.1:$d_back"; do
  code=$(curl -sk -o /dev/null -w '%{http_code}' --cert "$certs/client.pem" --key "$certs/client.key" \
    -H "Host: server" "https://$address/")
  [ "$code" = 200 ] || { echo "curl with the client certificate to $address: HTTP $code" >&2; exit 3; }
done

labels=(a b c d)
declare -A name=(
  [a]="sidecar pair, mtls: disabled"
  [b]="sidecar pair, mtls: strict"
  [c]="haproxy pair, mutual TLS"
  [d]="nginx pair, mutual TLS"
)
handshakes() {  # label: the callee's TLS handshakes so far
  case $1 in
    b) stat "${server_admin[b]}" inboundTLS;;
    c) haproxy_handshakes;;
    *) echo -;;
  esac
}

echo "== wrk -t1 -c16 -d${seconds}s, $rounds rounds ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
for l in "${labels[@]}"; do run "$l" 1 >/dev/null; done  # warm up: pools, caches
: > "$work/results"
for r in $(seq 1 "$rounds"); do
  for l in "${labels[@]}"; do
    h0=$(handshakes "$l")
    line=$(run "$l" "$seconds")
    h1=$(handshakes "$l")
    echo "$r $line" >> "$work/results"
    read -r _ rps p50 p99 bad cpu1 cpu2 <<< "$line"
    printf "round %d  %s  %-30s %7d req/s  p50 %.3f ms  p99 %6.3f ms  CPU/request %5.2f + %5.2f us  handshakes %s%s\n" \
      "$r" "$l" "${name[$l]}" "$rps" "$p50" "$p99" "$cpu1" "$cpu2" "$([ "$h0" = - ] && echo - || echo $((h1 - h0)))" \
      "$([ "$bad" = 1 ] && echo "  ERRORS")"
  done
done

python3 - "$work/results" "$rounds" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def get(label, rnd=None):
    mine = [r for r in rows if r[1] == label and (rnd is None or r[0] == str(rnd))]
    return tuple(statistics.median(float(r[i]) for r in mine) for i in (2, 3, 4, 6, 7))
def ratio(x, y, rnd=None):
    a, b = get(x, rnd), get(y, rnd)
    return (f"{x}/{y} {a[0] / b[0]:.3f}x req/s, p99 {a[2] / b[2]:.2f}x, "
            f"CPU/request both proxies {(a[3] + a[4]) / (b[3] + b[4]):.2f}x")
for rnd in range(1, int(sys.argv[2]) + 1):
    print(f"round {rnd}: " + "; ".join(ratio(x, y, rnd) for x, y in (("b", "a"), ("b", "c"), ("b", "d"))))
print("== medians")
for label in ("a", "b", "c", "d"):
    rps, p50, p99, cpu1, cpu2 = get(label)
    print(f"{label} {rps:8.0f} req/s  p50 {p50:.3f} ms  p99 {p99:6.3f} ms  CPU/request {cpu1:5.2f} + {cpu2:5.2f} us")
for x, y in (("b", "a"), ("b", "c"), ("b", "d"), ("c", "d")):
    print(ratio(x, y))
b_c = get("b")[0] / get("c")[0]
print(f"goal b >= 1.0 c (requests/s): {'met' if b_c >= 1.0 else 'NOT met'} ({b_c:.3f}); "
      f"p99 b <= c: {'met' if get('b')[2] <= get('c')[2] else 'NOT met'}")
PY

# Open loop: a fixed 1000 requests/s (meshbed load --rate, its own client), each variant twice
# interleaved; both proxies' CPU time per request from /proc (not moved by how fast each can go).
echo "== open loop: 1000 requests/s for ${seconds}s (meshbed load --rate 1000 --concurrency 16), 2 rounds"
: > "$work/open"
for r in 1 2; do
  for l in "${labels[@]}"; do
    # shellcheck disable=SC2086
    before=$(cpu ${procs[$l]})
    "$bin" load --url "${url[$l]}" --header "Host: server" --rate 1000 --duration "${seconds}s" --concurrency 16 --json > "$work/open.json"
    # shellcheck disable=SC2086
    after=$(cpu ${procs[$l]})
    python3 - "$r" "$l" "$work/open.json" "$before" "$after" "$(getconf CLK_TCK)" "${name[$l]}" <<'PY' | tee -a "$work/open"
import json, sys
run = json.load(open(sys.argv[3]))
requests = run.get("requests", 0)
ok = run.get("status", {}).get("200", 0)
ticks = sum(int(a) - int(b) for b, a in zip(sys.argv[4].split(), sys.argv[5].split()))
cpu = ticks * 1e6 / int(sys.argv[6]) / max(requests, 1)
print(sys.argv[1], sys.argv[2], f"{cpu:.2f}", requests, ok, sys.argv[7])
PY
  done
done
python3 - "$work/open" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
cpu = {l: statistics.median(float(r[2]) for r in rows if r[1] == l) for l in ("a", "b", "c", "d")}
for r in rows:
    print(f"round {r[0]}  {r[1]}  {' '.join(r[5:]):30} both proxies' CPU per request {float(r[2]):6.2f} us  ({r[4]} of {r[3]} answered 200)")
print(f"open loop, both proxies' CPU per request: b/a {cpu['b'] / cpu['a']:.2f}x, b/c {cpu['b'] / cpu['c']:.2f}x, b/d {cpu['b'] / cpu['d']:.2f}x; "
      f"goal b <= c: {'met' if cpu['b'] <= cpu['c'] else 'NOT met'}")
PY

rss() { for p in ${procs[b]}; do awk '/VmRSS/ { printf "%.1f MB ", $2 / 1024 }' "/proc/$p/status"; done; }
echo "b's sidecars' resident memory (caller, callee) after the wrk runs: $(rss)"

# Full handshakes: s_time -new against each callee; its CPU time per handshake from /proc.
echo "== openssl s_time -new -time $hs_seconds (full TLS 1.3 handshakes with a client certificate, one connection at a time)"
declare -A hs_address=([b]=$inbound [c]=127.0.0.1:$c_back [d]=127.0.0.1:$d_back)
declare -A hs_pid=([b]=${procs[b]#* } [c]=${procs[c]#* } [d]=${procs[d]#* })
declare -A hs_name=([b]="strict sidecar inbound" [c]="haproxy callee" [d]="nginx callee")
rejected0=$(stat "${server_admin[b]}" tlsRejected)
for r in 1 2; do
  for l in b c d; do
    t0=$(cpu "${hs_pid[$l]}"); h0=$(handshakes "$l"); w0=$(date +%s.%N)
    openssl s_time -connect "${hs_address[$l]}" -new -time "$hs_seconds" \
      -cert "$certs/client.pem" -key "$certs/client.key" -CAfile "$certs/root.pem" > "$work/stime.txt" 2>&1 || true
    w1=$(date +%s.%N); t1=$(cpu "${hs_pid[$l]}"); h1=$(handshakes "$l")
    python3 - "$work/stime.txt" "$r" "$l" "${hs_name[$l]}" "$w0" "$w1" "$t0" "$t1" "$(getconf CLK_TCK)" "$h0" "$h1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"(\d+) connections in [\d.]+ real seconds", text)
if not m:
    sys.exit(f"s_time against {sys.argv[4]} failed: {text.strip().splitlines()[-1] if text.strip() else 'no output'}")
n = int(m.group(1))
wall = float(sys.argv[6]) - float(sys.argv[5])
cpu = (int(sys.argv[8]) - int(sys.argv[7])) / int(sys.argv[9])
counted = "-" if sys.argv[10] == "-" else str(int(sys.argv[11]) - int(sys.argv[10]))
print(f"round {sys.argv[2]}  {sys.argv[3]}  {sys.argv[4]:24} {n:6d} handshakes in {wall:5.2f} s: {n / wall:7.0f}/s; "
      f"server CPU {cpu * 1e3 / max(n, 1):.3f} ms each ({n / cpu if cpu else float('inf'):.0f} per CPU-second); counted by the server {counted}")
PY
  done
done
rejected1=$(stat "${server_admin[b]}" tlsRejected)
[ "$rejected1" = "$rejected0" ] || { echo "the strict sidecar refused $((rejected1 - rejected0)) of s_time's handshakes" >&2; exit 3; }

echo "b's sidecars' resident memory (caller, callee) after the handshakes: $(rss)"
echo "b's callee sidecar: inboundTLS $(stat "${server_admin[b]}" inboundTLS), tlsRejected $(stat "${server_admin[b]}" tlsRejected)"
