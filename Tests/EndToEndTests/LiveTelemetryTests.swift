import Foundation
import MeshTestSupport
import Testing

/// `meshbed telemetry` on a running topology: the access log turned off and on again live,
/// every sidecar applying it; bad input is one line and exit 2.
@Suite(.serialized) struct LiveTelemetryTests {
    @Test func theAccessLogTurnsOffAndOnWhileTheMeshRuns() throws {
        let workspace = try MeshUpTests.Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("told.yaml", """
            kind: Topology
            name: told
            mesh: {mtls: disabled}
            services:
              svc: {}

            """)
        let up = try workspace.meshbed(["up", file, "--detach"])
        try #require(up.status == 0, "\(up.stderr)")
        let ingress = try #require(try workspace.state("told")["ingress"] as? String)
        func send(_ path: String, _ count: Int) throws {
            for _ in 0..<count { _ = try MeshUpTests.curl(["-H", "Host: svc", "http://\(ingress)\(path)"]) }
        }
        func loggedPaths() throws -> [String] {
            try workspace.meshbed(["logs", "--json"]).stdout.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["path"] as? String
            }
        }

        let shown = try workspace.meshbed(["telemetry"])
        #expect(shown.status == 0 && shown.stdout == "access log on, tracing 100% of new traces (at most 100 a second per sidecar loop)\n", "\(shown.stdout)\(shown.stderr)")
        try send("/before", 3)
        let off = try workspace.meshbed(["telemetry", "set", "--access-log", "off", "--sampling", "10"])
        #expect(off.status == 0, "\(off.stderr)")
        #expect(off.stdout.hasPrefix("access log off, tracing 10% of new traces (at most 100 a second per sidecar loop): version ")
                    && off.stdout.contains(" applied by 2 sidecars in "), "\(off.stdout)")
        try send("/quiet", 3)
        let on = try workspace.meshbed(["telemetry", "set", "--access-log", "on"])
        #expect(on.status == 0 && on.stdout.hasPrefix("access log on, tracing 10% "), "\(on.stdout)\(on.stderr)")
        try send("/after", 3)
        // Lines are written in order: once the last request's lines are there, every earlier one would be.
        #expect(eventually(within: 10) { (try? loggedPaths().filter { $0 == "/after" }.count) == 6 })
        let paths = try loggedPaths()
        #expect(paths.filter { $0 == "/before" }.count == 6 && !paths.contains("/quiet"), "\(paths)")

        for (arguments, message) in [
            (["telemetry", "set"], "telemetry set: nothing to change: give --access-log, --sampling or --max-traces-per-second"),
            (["telemetry", "set", "--sampling", "101"], "--sampling: expected a percentage from 0 to 100, got '101'"),
            (["telemetry", "set", "--access-log", "maybe"], "--access-log: expected on or off, got 'maybe'"),
            (["telemetry", "--access-log", "off"], "telemetry: --access-log, --sampling and --max-traces-per-second go with 'set'"),
            (["telemetry", "reset"], "telemetry: unknown subcommand 'reset' (expected 'show' or 'set')"),
        ] {
            let result = try workspace.meshbed(arguments)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
