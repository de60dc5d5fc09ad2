#!/usr/bin/env bash
# What mutual TLS costs a caller sidecar in instructions per request, counted by valgrind's
# callgrind (unlike requests/s, not moved by the machine's load), for one or more builds side
# by side. Run by hand (not in CI):
#
#   Benchmarks/mtls-instructions.sh [SECONDS] BINARY...     (e.g. an old and a new build)
#
# For each binary: mtls.sh's strict sidecar pair (pipeline-common.sh's pair, `mtls: strict`);
# a second sidecar of the caller's instance (its command line and environment, so it gets a
# certificate of its own from the control plane, but its own ports) runs under callgrind with
# instrumentation off; after a 3 s warm-up, instrumentation is on for SECONDS (default 10) of
# wrk -t1 -c4 with `Host: server` against its outbound port, and its `/stats` counts the
# requests. Prints the instructions per request of the whole process and of the TLS engine's
# read and write paths. Needs valgrind, wrk and `swift demangle`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10
case ${1:-} in ''|*[!0-9]*) ;; *) seconds=$1; shift;; esac
[ $# -gt 0 ] || { echo "usage: Benchmarks/mtls-instructions.sh [SECONDS] BINARY..." >&2; exit 2; }
[ "$seconds" -gt 0 ] || { echo "SECONDS must be at least 1" >&2; exit 2; }
for b in "$@"; do [ -x "$b" ] || { echo "not an executable: $b" >&2; exit 2; }; done
for tool in valgrind callgrind_control callgrind_annotate wrk swift; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
bin=$1
source Benchmarks/pipeline-common.sh  # (the working directory is the repository)

n=0
for b in "$@"; do
  n=$((n + 1))
  bin=$b
  name=mtlscg$n
  pair_topology "$name" none strict > "$work/$name.yaml"
  "$bin" up "$work/$name.yaml" --detach --state-dir "$work/state-$name" >/dev/null
  callgrind_clone "$n" "$name" "$seconds"
  tls_report "$work/inclusive-$n.txt" "$(cat "$work/requests-$n")" "$b"
  "$bin" down --state-dir "$work/state-$name" >/dev/null
done
