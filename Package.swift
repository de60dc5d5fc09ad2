// swift-tools-version:6.0
// meshbed: a service-mesh testbed. Swift toolchain and OpenSSL only: no package dependencies.
// Sources import FoundationEssentials, never Foundation: swift-corelibs-foundation brings
// CoreFoundation, whose constructor runs in every meshbed process, and ICU: 50 MB of binary
// and 4.6 MB of each sidecar's resident memory (Tests/EndToEndTests/BinaryLayoutTests).
import PackageDescription

/// Data-path modules drop the run-time exclusivity checks in release builds (about 3% of
/// an echo request's CPU in perf); debug builds and the tests keep them.
let dataPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "meshbed",
    products: [
        .executable(name: "meshbed", targets: ["meshbed"]),
    ],
    targets: [
        // C shims: the Linux calls Swift cannot import from Glibc (epoll, eventfd, timerfd, prctl).
        .target(name: "CMeshbedShims"),
        // OpenSSL 3 from libssl-dev, for mutual TLS between sidecars.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // Abstractions with no I/O: byte helpers, durations, clocks, seeded randomness.
        .target(name: "MeshCore", swiftSettings: dataPath),
        // The only module that does I/O: system calls, epoll event loops, TCP sockets.
        .target(name: "MeshIO", dependencies: ["CMeshbedShims"], swiftSettings: dataPath),
        // HTTP/1.1 codec (RFC 9112): strict parsers and serializers, no I/O.
        .target(name: "MeshHTTP", swiftSettings: dataPath),
        // HTTP/1.1 servers and clients on the event loops: connection handling, pools.
        .target(name: "MeshHTTPIO", dependencies: ["MeshIO", "MeshHTTP"], swiftSettings: dataPath),
        // A small strict YAML reader whose nodes carry line and column.
        .target(name: "MeshYAML"),
        // Topology files (SPEC §3): typed, validated, parsed once.
        .target(name: "MeshTopology", dependencies: ["MeshCore", "MeshYAML", "MeshConfig"]),
        // The control-plane protocol: snapshots, heartbeats, acks (Codable, no I/O).
        .target(name: "MeshConfig", dependencies: ["MeshCore"]),
        // Distributed traces with no I/O: spans, their bounded store, OTLP/JSON, the terminal waterfall.
        .target(name: "MeshTrace", dependencies: ["MeshCore"]),
        // The control plane (`meshbed control`): registry, versioned snapshots, admin API.
        .target(name: "MeshControl", dependencies: ["MeshCore", "MeshIO", "MeshHTTP", "MeshHTTPIO", "MeshConfig", "MeshYAML", "MeshTopology", "MeshTLS", "MeshMetrics", "MeshTrace", "MeshNetwork"]),
        // Retry backoff and budget, outlier detection, load balancers: pure values, no I/O.
        .target(name: "MeshResilience", swiftSettings: dataPath),
        // The sidecar (`meshbed proxy`): outbound, inbound and gateway listeners, admin port.
        .target(name: "MeshProxy", dependencies: ["MeshCore", "MeshIO", "MeshHTTP", "MeshHTTPIO", "MeshConfig", "MeshResilience", "MeshTLS", "MeshTLSIO", "MeshFaults", "MeshMetrics"], swiftSettings: dataPath),
        // Launching topologies: ports, processes, readiness, state files, no orphans.
        .target(name: "MeshOrchestrator", dependencies: ["MeshCore", "MeshIO", "MeshTopology", "MeshConfig", "MeshTLS", "MeshNetwork", "MeshContainer"]),
        // Container engines (Podman, Docker) and the image meshbed's containers run.
        .target(name: "MeshContainer", dependencies: ["MeshIO", "MeshNetwork"]),
        // The isolated runtimes' networks: namespaces on a bridge, and faults as packet filters.
        .target(name: "MeshNetwork", dependencies: ["MeshIO", "MeshConfig"]),
        // The echo application (`meshbed echo`).
        .target(name: "MeshEcho", dependencies: ["MeshCore", "MeshIO", "MeshHTTP", "MeshHTTPIO"], swiftSettings: dataPath),
        // The load generator (`meshbed load`): closed and open loop, latency histograms.
        .target(name: "MeshLoad", dependencies: ["MeshCore", "MeshIO", "MeshHTTP", "MeshHTTPIO"], swiftSettings: dataPath),
        // Scenario files (SPEC §4): the model, its validation, the runner and its reports.
        .target(name: "MeshScenario", dependencies: ["MeshCore", "MeshIO", "MeshYAML", "MeshTopology", "MeshLoad", "MeshConfig", "MeshControl", "MeshOrchestrator", "MeshMetrics"]),
        // Mutual TLS 1.3 on memory buffers (no I/O) and a small SPIFFE certificate authority.
        .target(name: "MeshTLS", dependencies: ["COpenSSL"], swiftSettings: dataPath),
        // TLS as a byte stream under HTTP: sessions over TCP connections, strict and permissive accepting.
        .target(name: "MeshTLSIO", dependencies: ["MeshIO", "MeshTLS"], swiftSettings: dataPath),
        // L4 faults as byte-stream stages (Toxiproxy's toxics): latency, bandwidth, reset, ...
        .target(name: "MeshFaults", dependencies: ["MeshCore", "MeshIO"], swiftSettings: dataPath),
        // Prometheus text format 0.0.4 and lock-free duration histograms.
        .target(name: "MeshMetrics", swiftSettings: dataPath),
        // Command-line parsing and the subcommands.
        .target(name: "MeshCLI", dependencies: ["MeshCore", "MeshIO", "MeshHTTPIO", "MeshEcho", "MeshLoad", "MeshYAML", "MeshTopology", "MeshConfig", "MeshControl", "MeshProxy", "MeshOrchestrator", "MeshScenario", "MeshTLS", "MeshTrace", "MeshNetwork", "MeshContainer"]),
        // What test suites share: waiting with deadlines, loop-bound values. Tests only.
        .target(name: "MeshTestSupport", dependencies: ["MeshIO", "MeshYAML"]),
        // The thin executable.
        .executableTarget(name: "meshbed", dependencies: ["MeshCLI", "MeshIO"]),

        .testTarget(name: "MeshCoreTests", dependencies: ["MeshCore"]),
        .testTarget(name: "MeshIOTests", dependencies: ["MeshTestSupport", "MeshIO"]),
        .testTarget(name: "MeshHTTPTests", dependencies: ["MeshHTTP"]),
        .testTarget(name: "MeshHTTPIOTests", dependencies: ["MeshTestSupport", "MeshIO", "MeshHTTP", "MeshHTTPIO"]),
        .testTarget(name: "MeshYAMLTests", dependencies: ["MeshYAML"]),
        .testTarget(name: "MeshTopologyTests", dependencies: ["MeshTestSupport", "MeshCore", "MeshYAML", "MeshTopology"]),
        .testTarget(name: "MeshControlTests", dependencies: ["MeshTestSupport", "MeshCore", "MeshIO", "MeshHTTP", "MeshConfig", "MeshTopology", "MeshYAML", "MeshControl", "MeshTLS", "MeshTrace"]),
        .testTarget(name: "MeshTraceTests", dependencies: ["MeshTestSupport", "MeshTrace"]),
        .testTarget(name: "MeshResilienceTests", dependencies: ["MeshCore", "MeshResilience"]),
        .testTarget(name: "MeshProxyTests", dependencies: ["MeshTestSupport", "MeshCore", "MeshIO", "MeshHTTP", "MeshHTTPIO", "MeshConfig", "MeshTopology", "MeshControl", "MeshEcho", "MeshProxy", "MeshResilience", "MeshTLS", "MeshFaults"]),
        .testTarget(name: "MeshOrchestratorTests", dependencies: ["MeshTestSupport", "MeshCore", "MeshIO", "MeshTopology", "MeshConfig", "MeshOrchestrator", "MeshTLS", "MeshNetwork", "MeshContainer"]),
        .testTarget(name: "MeshNetworkTests", dependencies: ["MeshNetwork", "MeshConfig"]),
        .testTarget(name: "MeshContainerTests", dependencies: ["MeshContainer", "MeshNetwork"]),
        .testTarget(name: "MeshLoadTests", dependencies: ["MeshTestSupport", "MeshCore", "MeshIO", "MeshHTTP", "MeshHTTPIO", "MeshEcho", "MeshLoad"]),
        .testTarget(name: "MeshScenarioTests", dependencies: ["MeshTopology", "MeshLoad", "MeshConfig", "MeshScenario", "MeshMetrics", "MeshOrchestrator"]),
        .testTarget(name: "MeshTLSTests", dependencies: ["COpenSSL", "MeshTLS"]),
        .testTarget(name: "MeshTLSIOTests", dependencies: ["MeshTestSupport", "MeshIO", "MeshHTTP", "MeshHTTPIO", "MeshTLS", "MeshTLSIO"]),
        .testTarget(name: "MeshFaultsTests", dependencies: ["MeshTestSupport", "MeshCore", "MeshIO", "MeshFaults"]),
        .testTarget(name: "MeshMetricsTests", dependencies: ["MeshMetrics"]),
        .testTarget(name: "MeshCLITests", dependencies: ["MeshCore", "MeshConfig", "MeshCLI"]),
        .testTarget(name: "EndToEndTests", dependencies: ["MeshTestSupport", "meshbed"]),
    ],
    swiftLanguageModes: [.v6]
)
