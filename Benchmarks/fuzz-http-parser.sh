#!/usr/bin/env bash
# Coverage-guided fuzzing of the HTTP/1.1 request and response parsers with libFuzzer. Run by hand:
#
#   Benchmarks/fuzz-http-parser.sh [SECONDS]      (default 300)
#
# Builds MeshHTTP's sources plus Benchmarks/Fuzz/HTTPParserFuzzer.swift with
# -sanitize=fuzzer,address, seeds the corpus with valid and tricky requests, and runs.
# A crash leaves crash-* files in the work directory; turn each into a regression test
# in Tests/MeshHTTPTests.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
work=${FUZZ_DIR:-/tmp/meshbed-fuzz}
mkdir -p "$work/corpus"
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name MeshHTTP \
  Sources/MeshHTTP/*.swift Benchmarks/Fuzz/HTTPParserFuzzer.swift -o "$work/fuzz-http-parsers"
seed() { printf '%b' "$2" > "$work/corpus/$1"; }
seed get        '\x05GET / HTTP/1.1\r\nHost: a\r\n\r\n'
seed pipelined  '\x03GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
seed post       '\x07POST /u?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello'
seed chunked    '\x02PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n'
seed continue   '\x09POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc'
seed absolute   '\x04GET http://reviews/x?y HTTP/1.1\r\nHost: reviews\r\n\r\n'
seed http10     '\x01GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'
seed response   '\x06HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'
seed chunkedrsp '\x03HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'
seed conflict   '\x08POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'
cd "$work"
./fuzz-http-parsers -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 corpus 2>&1 | tail -20
