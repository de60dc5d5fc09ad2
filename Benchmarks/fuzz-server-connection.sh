#!/usr/bin/env bash
# Coverage-guided fuzzing of whole HTTP/1.1 server connections with libFuzzer. Run by hand:
#
#   Benchmarks/fuzz-server-connection.sh [SECONDS]      (default 300)
#
# Compiles MeshCore, MeshIO (with its C shims), MeshHTTP, MeshHTTPIO and MeshEcho as separate
# modules with -sanitize=fuzzer,address, links Benchmarks/Fuzz/ServerConnectionFuzzer.swift,
# seeds the corpus with pipelined requests (some followed by garbage) and runs. Each input goes
# through a real loopback socket into a real HTTPServer; see the fuzzer's header for the
# invariants. A crash leaves crash-* files in the work directory; turn each into a regression
# test in Tests/MeshHTTPIOTests. Leak detection is off: LeakSanitizer cannot see the Swift
# runtime's weak-reference side tables (their pointers are stored shifted in the object's
# reference count) and reports them as leaked.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-300}
work=${FUZZ_DIR:-/tmp/meshbed-fuzz-connection}
build="$work/build"
mkdir -p "$work/corpus" "$build/shims"
printf 'module CMeshbedShims {\n  header "%s/Sources/CMeshbedShims/include/CMeshbedShims.h"\n  export *\n}\n' "$root" > "$build/shims/module.modulemap"
clang -O1 -g -fsanitize=fuzzer-no-link,address -I Sources/CMeshbedShims/include -c Sources/CMeshbedShims/shims.c -o "$build/shims.o"
module() {
  local name=$1; shift
  swiftc -O -g -sanitize=fuzzer,address -parse-as-library -wmo -package-name meshbed -module-name "$name" -I "$build" -I "$build/shims" \
    -emit-module -emit-module-path "$build/$name.swiftmodule" -c "$@" -o "$build/$name.o"
}
module MeshCore Sources/MeshCore/*.swift
module MeshIO Sources/MeshIO/*.swift
module MeshHTTP Sources/MeshHTTP/*.swift
module MeshHTTPIO Sources/MeshHTTPIO/*.swift
module MeshEcho Sources/MeshEcho/*.swift
swiftc -O -g -sanitize=fuzzer,address -parse-as-library -package-name meshbed -module-name ServerConnectionFuzzer -I "$build" -I "$build/shims" \
  Benchmarks/Fuzz/ServerConnectionFuzzer.swift "$build"/*.o -o "$work/fuzz-server-connection"
# Byte 0: bit 0 picks the echo app (1) or the scripted handler (0); byte 1: the piece size.
seed() { printf '%b' "$2" > "$work/corpus/$1"; }
seed garbage      '\x00\x00GET /later HTTP/1.1\r\nHost: details\r\n\r\nXYZ\r\n\r\n'
seed early        '\x00\x07GET /later HTTP/1.1\r\nHost: a\r\n\r\nGET /early HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
seed abort        '\x00\x03GET /later HTTP/1.1\r\nHost: a\r\n\r\nGET /abort HTTP/1.1\r\nHost: a\r\n\r\n'
seed stream       '\x00\x00GET /stream HTTP/1.1\r\nHost: a\r\n\r\nGET /later HTTP/1.1\r\nHost: a\r\n\r\n'
seed pause        '\x00\x05POST /pause HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: a\r\n\r\n'
seed chunked      '\x00\x02PUT /later HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nT: x\r\n\r\n\x01'
seed continue     '\x00\x09POST /early HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc'
seed http10       '\x00\x01GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /later HTTP/1.0\r\n\r\n'
seed echo         '\x01\x00GET /?delay=1ms HTTP/1.1\r\nHost: details\r\n\r\nGET / HTTP/1.1\r\nHost: nosuchservice\r\n\r\nXYZ\r\n\r\n'
seed echosize     '\x01\x0bGET /?size=100000 HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\n'
seed echopost     '\x01\x04POST /?status=503 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello'
cd "$work"
ASAN_OPTIONS=detect_leaks=0 ./fuzz-server-connection -max_total_time="$seconds" -max_len=2048 -timeout=30 -detect_leaks=0 -print_final_stats=1 corpus 2>&1 | tail -20
