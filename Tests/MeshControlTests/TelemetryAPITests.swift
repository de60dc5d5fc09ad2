import Foundation
import MeshConfig
import MeshControl
import Testing

/// `GET`/`PUT /v1/telemetry`: the access log and tracing settings of a running mesh, changed
/// live with the keys and checks of the topology's `mesh:`; what a change leaves out stays.
@Suite struct TelemetryAPITests {
    static func put(_ control: ControlPlane, _ body: String) throws -> TestResponse {
        try TestHTTPClient.request(control, "PUT", "/v1/telemetry", body: Array(body.utf8))
    }

    @Test func showsTheTopologysSettingsAndChangesWhatItIsGiven() throws {
        try withControlPlane { control in
            let shown = try TestHTTPClient.request(control, "GET", "/v1/telemetry")
            #expect(shown.status == 200)
            #expect(shown.text == #"{"accessLog":true,"tracing":{"maxTracesPerSecond":100,"sampling":100}}\#n"#)
            let before = try currentSnapshot(control)
            #expect(before.telemetry == nil)  // every default

            let changed = try Self.put(control, #"{"accessLog": false, "tracing": {"sampling": 10}}"#)
            #expect(changed.status == 200)
            #expect(changed.text == #"{"telemetry":{"accessLog":false,"tracing":{"maxTracesPerSecond":100,"sampling":10}},"version":\#(before.version + 1)}\#n"#)
            let after = try currentSnapshot(control)
            #expect(after.version == before.version + 1)
            #expect(after.telemetry == TelemetryConfig(accessLog: false, tracingSampling: 10, maxTracesPerSecond: 100))

            // What the next change leaves out stays as it is.
            #expect(try Self.put(control, #"{"tracing": {"maxTracesPerSecond": 5}}"#).status == 200)
            #expect(try currentSnapshot(control).telemetry == TelemetryConfig(accessLog: false, tracingSampling: 10, maxTracesPerSecond: 5))
            #expect(try Self.put(control, #"{"accessLog": true, "tracing": {"sampling": 100, "maxTracesPerSecond": 100}}"#).status == 200)
            #expect(try currentSnapshot(control).telemetry == nil)
        }
    }

    @Test(arguments: [
        ("", "expected a JSON telemetry change in the body, got an empty body"),
        ("{", "invalid telemetry change: the body is not valid JSON"),
        ("[1]", "invalid telemetry change: "),
        (#"{"accesLog": false}"#, "unknown key 'accesLog' in the telemetry change"),
        (#"{"accessLog": "false"}"#, "accessLog"),
        (#"{"tracing": {"sampling": 101}}"#, "sampling"),
        (#"{"tracing": {"maxTracesPerSecond": 0}}"#, "maxTracesPerSecond"),
        (#"{"tracing": {"rate": 5}}"#, "unknown key 'rate' in mesh.tracing"),
        (#"{"mtls": "strict"}"#, "unknown key 'mtls' in the telemetry change"),
    ])
    func refusesAChangeThatIsNotOneWith400(_ body: String, _ message: String) throws {
        try withControlPlane { control in
            let version = try currentSnapshot(control).version
            let response = try Self.put(control, body)
            #expect(response.status == 400)
            #expect(response.errorMessage?.contains(message) == true)
            #expect(try currentSnapshot(control).version == version)
        }
    }
}
