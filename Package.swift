// swift-tools-version:6.0
// meshbed: a service-mesh testbed. Swift toolchain and OpenSSL only: no package dependencies.
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
        .target(name: "MeshIO", dependencies: ["MeshCore", "CMeshbedShims"], swiftSettings: dataPath),
        // HTTP/1.1 codec (RFC 9112): strict parsers and serializers, no I/O.
        .target(name: "MeshHTTP", dependencies: ["MeshCore"], swiftSettings: dataPath),
        // HTTP/1.1 servers and clients on the event loops: connection handling, pools.
        .target(name: "MeshHTTPIO", dependencies: ["MeshCore", "MeshIO", "MeshHTTP"], swiftSettings: dataPath),
        // A small strict YAML reader whose nodes carry line and column.
        .target(name: "MeshYAML"),
        // Topology files (SPEC §3): typed, validated, parsed once.
        .target(name: "MeshTopology", dependencies: ["MeshCore", "MeshYAML"]),
        // The echo application (`meshbed echo`).
        .target(name: "MeshEcho", dependencies: ["MeshCore", "MeshIO", "MeshHTTP", "MeshHTTPIO"], swiftSettings: dataPath),
        // The load generator (`meshbed load`): closed and open loop, latency histograms.
        .target(name: "MeshLoad", dependencies: ["MeshCore", "MeshIO", "MeshHTTP", "MeshHTTPIO"], swiftSettings: dataPath),
        // Command-line parsing and the subcommands.
        .target(name: "MeshCLI", dependencies: ["MeshCore", "MeshIO", "MeshHTTP", "MeshHTTPIO", "MeshEcho", "MeshLoad", "MeshYAML", "MeshTopology"]),
        // What test suites share: waiting with deadlines, loop-bound values. Tests only.
        .target(name: "MeshTestSupport", dependencies: ["MeshIO"]),
        // The thin executable.
        .executableTarget(name: "meshbed", dependencies: ["MeshCLI"]),

        .testTarget(name: "MeshCoreTests", dependencies: ["MeshCore"]),
        .testTarget(name: "MeshIOTests", dependencies: ["MeshTestSupport", "MeshCore", "MeshIO"]),
        .testTarget(name: "MeshHTTPTests", dependencies: ["MeshCore", "MeshHTTP"]),
        .testTarget(name: "MeshHTTPIOTests", dependencies: ["MeshTestSupport", "MeshCore", "MeshIO", "MeshHTTP", "MeshHTTPIO"]),
        .testTarget(name: "MeshYAMLTests", dependencies: ["MeshYAML"]),
        .testTarget(name: "MeshTopologyTests", dependencies: ["MeshCore", "MeshYAML", "MeshTopology"]),
        .testTarget(name: "MeshLoadTests", dependencies: ["MeshTestSupport", "MeshCore", "MeshIO", "MeshHTTP", "MeshHTTPIO", "MeshEcho", "MeshLoad"]),
        .testTarget(name: "MeshCLITests", dependencies: ["MeshCore", "MeshCLI"]),
        .testTarget(name: "EndToEndTests", dependencies: ["MeshTestSupport", "MeshCore", "meshbed"]),
    ],
    swiftLanguageModes: [.v6]
)
