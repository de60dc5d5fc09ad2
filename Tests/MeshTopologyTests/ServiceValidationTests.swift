import MeshCore
import MeshTopology
import MeshTestSupport
import Testing

/// Services, versions, replicas, behavior and custom apps. Every document below starts
///
///     1 kind: Topology
///     2 name: shop
///     3 services:
///     4   FIRST-SERVICE:        (column 3; its keys at column 5)
@Suite struct ServiceValidationTests {
    @Test func unknownServiceKeySuggestsTheClosest() {
        let doc = shop(services: ["ratings": ["replica": 2]])
        #expect(diagnostic(doc) == "5:5: unknown key 'replica' in service 'ratings' (did you mean 'replicas'?)")
    }

    @Test(arguments: [
        ("call", "calls"), ("version", "versions"), ("Replicas", "replicas"), ("behaviour", "behavior"), ("ap", "app"),
    ])
    func suggestions(typo: String, meant: String) {
        let doc = shop(services: ["web": .map([(typo, YNode.map([]))])])
        #expect(diagnostic(doc) == "5:5: unknown key '\(typo)' in service 'web' (did you mean '\(meant)'?)")
    }

    @Test func farFromEveryKeyNoSuggestion() {
        let doc = shop(services: ["web": ["image": "nginx"]])
        #expect(diagnostic(doc) == "5:5: unknown key 'image' in service 'web'")
    }

    @Test(arguments: [
        ("two", "'two'"), (0, "'0'"), (-3, "'-3'"), (1.5, "'1.5'"), (.quoted("2"), "'2' (a quoted string)"),
        (["a"], "a list"), (.null, "nothing"),
    ] as [(YNode, String)])
    func replicasMustBeAPositiveInteger(value: YNode, shown: String) {
        let doc = shop(services: ["ratings": ["replicas": value]])
        let column = if case .null = value { 13 } else { 15 }
        let line = if case .list = value { 6 } else { 5 }
        #expect(diagnostic(doc) == "\(line):\(line == 6 ? 7 : column): replicas: expected an integer ≥ 1, got \(shown)")
    }

    @Test func replicasAtMostOneHundred() throws {
        #expect(diagnostic(shop(services: ["web": ["replicas": 101]])) == "5:15: replicas: expected at most 100, got '101'")
        #expect(try topology(shop(services: ["web": ["replicas": 100]])).instances.count == 100)
    }

    @Test func serviceMustBeAMapping() {
        #expect(diagnostic(shop(services: ["web": "echo"])) == "4:8: web: expected a mapping, got 'echo'")
    }

    @Test func badServiceNames() {
        // 4: Web_Front: {}, 5: ingress: {}
        let doc = shop(services: ["Web_Front": [:], "ingress": [:]])
        #expect(diagnostics(doc) == [
            "4:3: service name: expected a name of lowercase letters, digits and '-' (at most 63 characters), got 'Web_Front'",
            "5:3: service name: 'ingress' is reserved for the ingress gateway",
        ])
    }

    @Test func badVersionName() {
        // 5: versions:, 6: V1: {}
        let doc = shop(services: ["web": ["versions": ["V1": [:]]]])
        #expect(diagnostic(doc) == "6:7: version name: expected a name of lowercase letters, digits and '-' (at most 63 characters), got 'V1'")
    }

    @Test func replicasAndBehaviorBelongToVersionsWhenThereAreVersions() {
        //  5: replicas: 2
        //  6: behavior:
        //  7:   errorRate: 5
        //  8: versions:
        //  9:   v1: {}
        let doc = shop(services: ["web": ["replicas": 2, "behavior": ["errorRate": 5], "versions": ["v1": [:]]]])
        #expect(diagnostics(doc) == [
            "5:5: replicas: set replicas per version when service 'web' has versions",
            "6:5: behavior: set behavior per version when service 'web' has versions",
        ])
    }

    @Test func versionsNeedAtLeastOne() {
        #expect(diagnostic(shop(services: ["web": ["versions": [:]]])) == "5:15: versions: expected at least one version")
        #expect(diagnostic(shop(services: ["web": ["versions": ["v1", "v2"]]])) == "6:7: versions: expected a mapping of version names, got a list")
    }

    @Test func versionMistakes() {
        //  5: versions:
        //  6:   v1:
        //  7:     replicas: many
        //  8:     weight: 3
        //  9:     behavior:
        // 10:       errorRate: 120
        // 11:       latency: fast
        // 12:       errors: 5
        let doc = shop(services: ["web": ["versions": ["v1": [
            "replicas": "many", "weight": 3,
            "behavior": ["errorRate": 120, "latency": "fast", "errors": 5],
        ]]]])
        #expect(diagnostics(doc) == [
            "7:19: replicas: expected an integer ≥ 1, got 'many'",
            "8:9: unknown key 'weight' in version 'v1' of service 'web'",
            "10:22: errorRate: expected a percentage 0–100, got '120'",
            "11:20: latency: expected a duration like 250ms, 2s or 1m, got 'fast'",
            "12:11: unknown key 'errors' in behavior of version 'v1' of service 'web'",
        ])
    }

    @Test func behaviorIsRead() throws {
        let doc = shop(services: [
            "web": ["behavior": ["errorRate": 2.5, "latency": "50ms"]],
            "api": ["versions": ["v1": [:], "v2": ["replicas": 2, "behavior": ["errorRate": 20, "latency": "1.5s"]]]],
        ])
        let topology = try topology(doc)
        #expect(topology.services["web"]?.versions["v1"]?.behavior == Behavior(errorRate: 2.5, latency: .milliseconds(50)))
        #expect(topology.services["api"]?.versions["v1"]?.behavior == Behavior.none)
        #expect(topology.services["api"]?.versions["v2"]?.behavior == Behavior(errorRate: 20, latency: .milliseconds(1500)))
    }

    // MARK: app

    @Test func customAppIsRead() throws {
        let doc = shop(services: ["legacy": ["app": [
            "command": ["python3", "app.py", "--port", "{port}"], "ready": "/healthz",
            "env": ["LOG_LEVEL": "debug", "WORKERS": 4, "PORT": "{port}"],
        ]]])
        let app = try #require(try topology(doc).services["legacy"]?.app)
        #expect(app.command == ["python3", "app.py", "--port", "{port}"])
        #expect(app.arguments(port: 8123) == ["python3", "app.py", "--port", "8123"])
        #expect(app.ready == "/healthz")
        #expect(app.env == ["LOG_LEVEL": "debug", "WORKERS": "4", "PORT": "{port}"])
        #expect(app.environment(port: 9) == ["LOG_LEVEL": "debug", "WORKERS": "4", "PORT": "9"])
        #expect(try topology(doc).services["legacy"]?.usesEchoApp == false)
    }

    @Test func appMistakes() {
        //  5: app:
        //  6:   command: python3 app.py
        //  7:   ready: healthz
        //  8:   env:
        //  9:     1X: a
        // 10:     MESHBED_PORT: 1
        // 11:     OK:
        // 12:       - a
        // 13:   restart: always
        let doc = shop(services: ["legacy": ["app": [
            "command": "python3 app.py", "ready": "healthz",
            "env": ["1X": "a", "MESHBED_PORT": 1, "OK": ["a"]], "restart": "always",
        ]]])
        #expect(diagnostics(doc) == [
            "6:16: command: expected a list of arguments, got 'python3 app.py'",
            "7:14: ready: expected an HTTP path starting with '/', got 'healthz'",
            "9:9: env: '1X' is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)",
            "10:9: env: 'MESHBED_PORT' is set by meshbed and cannot be overridden",
            "12:11: OK: expected a string value, got a list",
            "13:7: unknown key 'restart' in app of service 'legacy'",
        ])
    }

    @Test func appNeedsACommand() {
        #expect(diagnostic(shop(services: ["legacy": ["app": ["ready": "/"]]])) == "6:7: missing key 'command' in app of service 'legacy'")
        #expect(diagnostic(shop(services: ["legacy": ["app": ["command": []]]])) == "6:16: command: expected at least one argument")
    }

    @Test func appWithBehaviorIsAnError() {
        //  5: app:
        //  6:   command:
        //  7:     - ./server
        //  8: behavior:
        //  9:   latency: 1s
        let unversioned = shop(services: ["legacy": ["app": ["command": ["./server"]], "behavior": ["latency": "1s"]]])
        #expect(diagnostic(unversioned) == "8:5: behavior: applies to the echo app only, and service 'legacy' runs its own app")
        //  8: versions:
        //  9:   v1:
        // 10:     behavior:
        // 11:       errorRate: 1
        // 12:   v2:
        // 13:     replicas: 2
        let versioned = shop(services: ["legacy": [
            "app": ["command": ["./server"]],
            "versions": ["v1": ["behavior": ["errorRate": 1]], "v2": ["replicas": 2]],
        ]])
        #expect(diagnostic(versioned) == "10:9: behavior: applies to the echo app only, and service 'legacy' runs its own app")
    }

    @Test func appWithVersionsAndCalls() throws {
        let doc = shop(services: [
            "legacy": ["app": ["command": ["./server"]], "calls": ["db"], "versions": ["v1": [:], "v2": ["replicas": 2]]],
            "db": [:],
        ])
        let legacy = try #require(try topology(doc).services["legacy"])
        #expect(legacy.versions.keys == ["v1", "v2"])
        #expect(legacy.callees == ["db"])
        #expect(legacy.app?.ready == nil)
    }
}

extension ServiceValidationTests {
    /// Reports count responses without a version as `no-version`: no version may be called that.
    @Test func noVersionIsAReservedVersionName() {
        // 5: versions:, 6: no-version: {}
        let doc = shop(services: ["web": ["versions": ["no-version": [:]]]])
        #expect(diagnostic(doc) == "6:7: version name: 'no-version' is reserved (scenario reports count responses without a version under it)")
    }
}
