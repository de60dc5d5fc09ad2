#!/usr/bin/env bash
# Nanoseconds per call of MeshResilience's per-request operations, optimized as the data
# path is (-O, whole module, exclusivity checks off), called across the module boundary as
# the sidecar calls them. Run by hand (not in CI):
#
#   Benchmarks/resilience-hot-path.sh [MILLIONS]
#
# Prints one line per operation: the retry decisions, outlier detection's lock-free path
# (one thread, then two threads on one shared detector), and each balancer's pick (eight
# endpoints, the eligibility asked of the outlier detector) with its started/finished.
set -euo pipefail
cd "$(dirname "$0")/.."
millions=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

swiftc -O -wmo -enforce-exclusivity=unchecked -parse-as-library -module-name MeshResilience \
  -emit-library -static -emit-module -emit-module-path "$work/MeshResilience.swiftmodule" \
  -o "$work/libMeshResilience.a" Sources/MeshResilience/*.swift
cat > "$work/main.swift" <<'SWIFT'
import MeshResilience
import Synchronization

/// xorshift64*: a small generator so the benchmark needs no other module.
struct Generator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

let count = Int(CommandLine.arguments[1])! * 1_000_000
let clock = ContinuousClock()
var sink: UInt64 = 0

func measure(_ name: String, operations: Int = count, _ body: () -> Void) {
    let elapsed = clock.measure(body)
    let (seconds, attoseconds) = elapsed.components
    let nanoseconds = Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    let padded = name + String(repeating: " ", count: max(0, 58 - name.count))
    print("\(padded)\((nanoseconds / Double(operations) * 100).rounded() / 100) ns")
}

let endpoints = (0..<8).map { "10.0.0.\($0):8080" }

/// Each measurement runs in a function on locals, as a filter would hold them.
func retries(_ count: Int) {
    var random = Generator(state: 0x9E37_79B9_7F4A_7C15)
    let backoff = RetryBackoff()
    measure("RetryBackoff.delay") {
        for retry in 0..<count { sink &+= backoff.delay(forRetry: retry & 3 + 1, using: &random) }
    }
    let budget = RetryBudget()
    measure("RetryBudget started, tryAcquireRetry, retryEnded, ended") {
        for _ in 0..<count {
            budget.requestStarted()
            if budget.tryAcquireRetry() { budget.retryEnded() }
            budget.requestEnded()
        }
    }
}

func detection(_ count: Int) {
    let detector = OutlierDetector(endpoints: endpoints)
    measure("OutlierDetector.record(success) + isEjected, 1 thread") {
        for step in 0..<count {
            detector.record(endpoint: step & 7, outcome: .success, now: UInt64(step))
            if detector.isEjected(step & 7, now: UInt64(step)) { sink &+= 1 }
        }
    }
    let perThread = count / 2
    let done = Atomic<Int>(0)
    measure("OutlierDetector.record(success) + isEjected, 2 threads", operations: perThread) {
        Task.detached {
            for step in 0..<perThread {
                detector.record(endpoint: step & 7, outcome: .success, now: UInt64(step))
                _ = detector.isEjected(step & 7, now: UInt64(step))
            }
            done.add(1, ordering: .releasing)
        }
        for step in 0..<perThread {
            detector.record(endpoint: step & 7, outcome: .success, now: UInt64(step))
            if detector.isEjected(step & 7, now: UInt64(step)) { sink &+= 1 }
        }
        while done.load(ordering: .acquiring) == 0 {}
    }
}

func balancing(_ count: Int, kind: LoadBalancer.Kind) {
    var random = Generator(state: 0x9E37_79B9_7F4A_7C15)
    let detector = OutlierDetector(endpoints: endpoints)
    let balancer = LoadBalancer(kind: kind, endpointCount: endpoints.count, now: 0)
    measure("LoadBalancer(\(kind)) pick + started + finished") {
        for step in 0..<count {
            let now = UInt64(step) &* 1_000
            let tried = step & 7
            guard let index = balancer.pick(
                now: now, using: &random, eligible: { !detector.isEjected($0, now: now) }, avoiding: { $0 == tried })
            else { continue }
            balancer.started(index)
            balancer.finished(index, latency: 1_000_000 + UInt64(index) * 100_000, now: now)
            sink &+= UInt64(index)
        }
    }
}

retries(count)
detection(count)
for kind in LoadBalancer.Kind.allCases { balancing(count, kind: kind) }
if sink == 42 { print("") }
SWIFT
swiftc -O -enforce-exclusivity=unchecked -I "$work" "$work/main.swift" -L "$work" -lMeshResilience -o "$work/bench"
"$work/bench" "$millions"
