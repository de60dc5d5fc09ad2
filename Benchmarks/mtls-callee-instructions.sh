#!/usr/bin/env bash
# What mutual TLS costs a callee sidecar (the strict inbound side) in instructions per request,
# counted by valgrind's callgrind, for one or more builds side by side: the other half of a
# sidecar pair, next to mtls-instructions.sh's caller. Run by hand (not in CI):
#
#   Benchmarks/mtls-callee-instructions.sh [SECONDS] BINARY...
#
# For each binary: mtls.sh's strict sidecar pair; a second sidecar of the server's instance
# (its command line and environment, so it gets a certificate of its own, but its own ports)
# runs under callgrind with instrumentation off. Its strict inbound port is fed by an haproxy
# (nbthread 1, keep-alive, TLS 1.3) presenting a client certificate the mesh root signed for
# the client's SPIFFE id, so the clone does what a callee sidecar does per request: decrypt,
# authorize, add x-forwarded-client-cert, forward to the echo app, encrypt the answer. After a
# 3 s warm-up, instrumentation is on for SECONDS (default 10) of wrk -t1 -c4 against haproxy;
# the clone's `/stats` counts the requests. Prints the instructions per request of the whole
# process and of the TLS engine's read and write paths. Needs valgrind, wrk, haproxy, openssl
# and `swift demangle`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10
case ${1:-} in ''|*[!0-9]*) ;; *) seconds=$1; shift;; esac
[ $# -gt 0 ] || { echo "usage: Benchmarks/mtls-callee-instructions.sh [SECONDS] BINARY..." >&2; exit 2; }
[ "$seconds" -gt 0 ] || { echo "SECONDS must be at least 1" >&2; exit 2; }
for b in "$@"; do [ -x "$b" ] || { echo "not an executable: $b" >&2; exit 2; }; done
for tool in valgrind callgrind_control callgrind_annotate wrk openssl swift curl; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$haproxy" ] || { echo "needs haproxy (apt-get install haproxy)" >&2; exit 2; }
bin=$1
source Benchmarks/pipeline-common.sh  # (the working directory is the repository)

n=0
for b in "$@"; do
  n=$((n + 1))
  bin=$b
  name=calleecg$n
  pair_topology "$name" none strict > "$work/$name.yaml"
  "$bin" up "$work/$name.yaml" --detach --state-dir "$work/state-$name" >/dev/null
  identity=$(field "$("$bin" status "$name" --json --state-dir "$work/state-$name")" client identity)
  ca=$work/state-$name/$name/ca
  certs=$work/certs-$n
  mkdir -p "$certs"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=client" \
    -keyout "$certs/client.key" -out "$certs/client.csr" 2>/dev/null
  printf 'subjectAltName=URI:%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
    "$identity" > "$certs/client.ext"
  openssl x509 -req -in "$certs/client.csr" -CA "$ca/root-cert.pem" -CAkey "$ca/root-key.pem" -CAcreateserial \
    -days 1 -sha256 -extfile "$certs/client.ext" -out "$certs/client.pem" 2>/dev/null
  cat "$certs/client.pem" "$certs/client.key" > "$certs/client.both.pem"

  # The server's sidecar, cloned under callgrind (as callgrind_clone does the client's).
  start_clone "callee-$n" "$name" server
  inbound=$clone_inbound

  # haproxy as the calling side: plaintext in, mutual TLS to the clone's strict inbound port.
  front=$(free_port)
  cat > "$work/front-$n.cfg" <<CONF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  http-reuse always
  retries 0
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend in
  bind 127.0.0.1:$front
  default_backend out
backend out
  server s1 127.0.0.1:$inbound ssl crt $certs/client.both.pem ca-file $ca/root-cert.pem verify none ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.3
CONF
  "$haproxy" -q -f "$work/front-$n.cfg" &
  front_pid=$!
  pids+=($front_pid)
  wait_port "$front"
  callgrind_run "callee-$n" "http://127.0.0.1:$front/" "$seconds" "$front_pid"
  tls_report "$work/inclusive-callee-$n.txt" "$(cat "$work/requests-callee-$n")" "$b: callee"
  "$bin" down --state-dir "$work/state-$name" >/dev/null
done
