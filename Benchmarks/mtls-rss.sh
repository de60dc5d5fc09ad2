#!/usr/bin/env bash
# A strict-mTLS sidecar's resident memory, the way mtls.sh ends (its variant b alone, in
# about 20 s instead of minutes). Run by hand:
#
#   swift build -c release --static-swift-stdlib && Benchmarks/mtls-rss.sh [WRK-SECONDS] [HANDSHAKE-SECONDS] [pages]
#
# Starts the sidecar pair with `mtls: strict` (pipeline-common.sh's pair_topology), drives
# wrk -t1 -c16 through it for WRK-SECONDS (default 10), then `openssl s_time -new` full
# handshakes (a client certificate the mesh root signed) against the callee's strict inbound
# port for HANDSHAKE-SECONDS (default 10), and prints both sidecars' VmRSS and smaps_rollup
# (Rss, Pss, private) after each phase. With `pages` last, also Benchmarks/resident-pages.sh
# of the callee sidecar at the end. Needs wrk, openssl, curl and python3.
# MESHBED_BIN=PATH picks the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
hs_seconds=${2:-10}
pages=${3:-}
bin=${MESHBED_BIN:-$PWD/.build/release/meshbed}
case $seconds$hs_seconds in
  *[!0-9]*) echo "usage: Benchmarks/mtls-rss.sh [WRK-SECONDS] [HANDSHAKE-SECONDS] [pages]" >&2; exit 2;;
esac
[ "$pages" = "" ] || [ "$pages" = pages ] || { echo "the third argument can only be 'pages'" >&2; exit 2; }
[ -x "$bin" ] || { echo "build first: swift build -c release --static-swift-stdlib (or set MESHBED_BIN)" >&2; exit 2; }
for tool in wrk openssl curl python3; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

source Benchmarks/pipeline-common.sh  # (the working directory is the repository)

name=pairrss
pair_topology "$name" none strict > "$work/$name.yaml"
"$bin" up "$work/$name.yaml" --detach --state-dir "$work/state-$name" >/dev/null
status=$("$bin" status "$name" --json --state-dir "$work/state-$name")
url[b]="http://$(field "$status" client outbound)/"
server_admin=$(field "$status" server admin)
inbound=$(field "$status" server inbound)
identity=$(field "$status" client identity)
state=$(cat "$work/state-$name/$name/state.json")
procs[b]="$(field "$state" client sidecarPID) $(field "$state" server sidecarPID)"
stat() { curl -s "http://$server_admin/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: server" "${url[b]}")
[ "$code" = 200 ] && [ "$(stat inboundTLS)" -ge 1 ] || { echo "no request through the strict pair over TLS (HTTP $code)" >&2; exit 3; }

memory() {  # phase
  local p line
  line="$1:"
  for p in ${procs[b]}; do
    line+=$(awk '/^VmRSS/ { v = $2 } END { printf " %.1f MB VmRSS", v / 1024 }' "/proc/$p/status")
    line+=$(awk '/^Rss:/ { r = $2 } /^Pss:/ { s = $2 } /^Private_(Clean|Dirty):/ { q += $2 }
      END { printf " (Rss %.1f, Pss %.1f, private %.1f MB);", r / 1024, s / 1024, q / 1024 }' "/proc/$p/smaps_rollup")
  done
  echo "${line%;}  [caller; callee]"
}
memory "after start"

line=$(run b "$seconds")
read -r _ rps _ _ bad _ <<< "$line"
[ "$bad" = 0 ] || { echo "wrk saw errors" >&2; exit 3; }
echo "wrk -t1 -c16 -d${seconds}s: $rps req/s"
memory "after wrk"

ca=$work/state-$name/$name/ca
certs=$work/certs
mkdir -p "$certs"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=client" \
  -keyout "$certs/client.key" -out "$certs/client.csr" 2>/dev/null
printf 'subjectAltName=URI:%s/sa/client\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
  "${identity%/sa/*}" > "$certs/client.ext"
openssl x509 -req -in "$certs/client.csr" -CA "$ca/root-cert.pem" -CAkey "$ca/root-key.pem" -CAcreateserial \
  -days 1 -sha256 -extfile "$certs/client.ext" -out "$certs/client.pem" 2>/dev/null
h0=$(stat inboundTLS); r0=$(stat tlsRejected)
openssl s_time -connect "$inbound" -new -time "$hs_seconds" -cert "$certs/client.pem" -key "$certs/client.key" \
  -CAfile "$ca/root-cert.pem" > "$work/stime.txt" 2>&1 || true
h1=$(stat inboundTLS); r1=$(stat tlsRejected)
[ "$r1" = "$r0" ] || { echo "the strict sidecar refused $((r1 - r0)) handshakes" >&2; exit 3; }
echo "openssl s_time -new -time $hs_seconds: $((h1 - h0)) full handshakes at the callee"
memory "after handshakes"

if [ "$pages" = pages ]; then
  Benchmarks/resident-pages.sh "${procs[b]#* }"
fi
