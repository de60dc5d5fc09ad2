// MeshResilience: the decisions a sidecar makes about an upstream request, as pure values
// with no I/O: how long to wait before a retry, whether a retry fits the budget, which
// endpoints are ejected as outliers, and which endpoint a request goes to.
//
// Time is always a parameter (monotonic nanoseconds, as `MeshClock.now()` reads it) and
// randomness always an `inout` generator (`SeededRandom` in tests), so every decision can be
// replayed exactly with a `ManualClock` and a seed.
//
//   sidecar event loop (one of several)          shared by all loops, per destination
//   -----------------------------------          ------------------------------------
//   request ─► retry filter ── tryAcquireRetry ─► RetryBudget       (atomics)
//                │  └── delay(forRetry:) ─► RetryBackoff (value)
//                ▼
//            balancer filter ── isEjected ──────► OutlierDetector   (atomics; a mutex only
//                │                                                   when an ejection or a
//                ▼                                                   return happens)
//            LoadBalancer (per loop, not shared)
//              .pick(eligible:avoiding:) ─► endpoint index
//                │
//   attempt ends ├── finished(index, latency, now) ─► LoadBalancer
//                └── record(endpoint:outcome:now:) ─► OutlierDetector ─► OutlierEvent?
//
// Defaults and names follow Istio where the concept exists there (`consecutive5xxErrors`,
// `baseEjectionTime`, `maxEjectionPercent`, ...), Envoy for the arithmetic (retry budget,
// backoff, ejection cap) and Linkerd (tower's `PeakEwma`) for the latency-aware balancer.
//
// Depends on the standard library and Synchronization only (no Foundation, no Glibc);
// the tests drive it with MeshCore's `ManualClock` and `SeededRandom`.
