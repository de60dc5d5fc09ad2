import MeshConfig
import MeshControl
import MeshTestSupport
import Testing

/// Bad input gets a one-line JSON error and the right status; the server keeps serving.
@Suite struct ErrorHandlingTests {
    @Test func malformedBodiesGet400WithOneLineError() throws {
        try withControlPlane { control in
            let cases: [(path: String, body: String, message: String)] = [
                ("/v1/heartbeat", "not json", "invalid heartbeat: the body is not valid JSON"),
                ("/v1/heartbeat", "{\"instance\": 5}", "invalid heartbeat: field 'instance': expected a string"),
                ("/v1/heartbeat", "{\"instance\": \"details-v1-0\"}", "invalid heartbeat: missing field 'service'"),
                ("/v1/heartbeat", "[]", "invalid heartbeat: expected an object"),
                ("/v1/heartbeat", "{\"instance\": \"details-v1-0\", \"service\": \"details\", \"version\": \"v1\", \"inbound\": \"127.0.0.1:1\", \"ready\": null}",
                 "invalid heartbeat: field 'ready': expected true or false, got null"),
                ("/v1/heartbeat", "{\"instance\": \"x\"", "invalid heartbeat: the body is not valid JSON"),
                ("/v1/heartbeat", "", "expected a JSON heartbeat in the body, got an empty body"),
                ("/v1/ack", "{\"instance\": \"details-v1-0\", \"version\": \"2\"}", "invalid ack: field 'version': expected an integer"),
            ]
            for (path, body, message) in cases {
                let response = try TestHTTPClient.request(control, "POST", path, body: Array(body.utf8))
                #expect(response.status == 400, "\(body)")
                #expect(response.errorMessage == message, "\(body)")
                #expect(response.text.filter { $0 == "\n" }.count == 1, "not one line: \(response.text)")
            }
            let routes = try TestHTTPClient.request(control, "PUT", "/v1/routes/reviews", body: Array("{\"split\": 1}".utf8))
            #expect(routes.status == 400)
            #expect(routes.errorMessage == "invalid route list: expected an array")
            let deep = String(repeating: "[", count: 10_000)
            #expect(try TestHTTPClient.request(control, "POST", "/v1/heartbeat", body: Array(deep.utf8)).status == 400)
            // Still serving.
            #expect(try details.heartbeat(control).status == 204)
            #expect(try currentSnapshot(control).version == 2)
        }
    }

    @Test func unknownPathIs404AndWrongMethodIs405() throws {
        try withControlPlane { control in
            let missing = try TestHTTPClient.request(control, "GET", "/v2/snapshot")
            #expect(missing.status == 404)
            #expect(missing.errorMessage == "no such endpoint: /v2/snapshot")
            #expect(try TestHTTPClient.request(control, "GET", "/").status == 404)
            #expect(try TestHTTPClient.request(control, "GET", "/v1/routes/").status == 404)

            let getHeartbeat = try TestHTTPClient.request(control, "GET", "/v1/heartbeat")
            #expect(getHeartbeat.status == 405)
            #expect(getHeartbeat.header("allow") == "POST")
            #expect(getHeartbeat.errorMessage == "/v1/heartbeat allows POST only")
            let postInstances = try TestHTTPClient.request(control, "POST", "/v1/instances", body: [])
            #expect(postInstances.status == 405)
            #expect(postInstances.header("allow") == "GET, HEAD")
            #expect(try TestHTTPClient.request(control, "GET", "/v1/routes/reviews").header("allow") == "PUT")

            let head = try TestHTTPClient(control)
            try head.send("HEAD", "/v1/instances")
            let response = try head.readResponse(toHEAD: true)
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
            #expect(Int(response.header("content-length") ?? "") ?? 0 > 0)

            let health = try TestHTTPClient.request(control, "GET", "/v1/health")
            #expect(health.text == "{\"status\":\"ok\",\"version\":1}\n")
        }
    }

    @Test func oversizedBodiesGet413AndTheServerKeepsServing() throws {
        try withControlPlane { control in
            // Declared too large: answered from the head, then the connection closes.
            let declared = try TestHTTPClient(control)
            try declared.send("POST", "/v1/heartbeat", body: [UInt8](repeating: 0x20, count: 70_000))
            let response = try declared.readResponse()
            #expect(response.status == 413)
            #expect(response.errorMessage == "request body too large: the limit is 65536 bytes")
            #expect(declared.isClosedByPeer())

            // Chunked: answered once the body passes the limit.
            let chunked = try TestHTTPClient(control)
            var request = Array("POST /v1/heartbeat HTTP/1.1\r\nhost: control\r\ntransfer-encoding: chunked\r\n\r\n".utf8)
            for _ in 0..<5 {
                request += Array("4000\r\n".utf8) + [UInt8](repeating: 0x20, count: 0x4000) + [13, 10]
            }
            request += Array("0\r\n\r\n".utf8)
            try chunked.sendRaw(request)
            #expect(try chunked.readResponse().status == 413)
            #expect(chunked.isClosedByPeer())

            // Exactly at the limit is read (and then found not to be JSON).
            let atLimit = try TestHTTPClient.request(control, "POST", "/v1/heartbeat", body: [UInt8](repeating: 0x20, count: 65_536))
            #expect(atLimit.status == 400)

            #expect(try details.heartbeat(control).status == 204)
            #expect(try currentSnapshot(control).version == 2)
        }
    }

    @Test func errorsDoNotEndAKeepAliveConnection() throws {
        try withControlPlane { control in
            let client = try TestHTTPClient(control)
            try client.send("POST", "/v1/heartbeat", body: Array("{".utf8))
            #expect(try client.readResponse().status == 400)
            try client.send("GET", "/nowhere")
            #expect(try client.readResponse().status == 404)
            try client.send("DELETE", "/v1/ack")
            #expect(try client.readResponse().status == 405)
            try client.send("POST", "/v1/heartbeat", body: details.heartbeatBody())
            #expect(try client.readResponse().status == 204)
            try client.send("GET", "/v1/snapshot/current")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(try response.decode(MeshSnapshot.self).version == 2)
        }
    }

    @Test func garbageHTTPIsRefusedAndOthersAreServed() throws {
        try withControlPlane { control in
            let garbage = try TestHTTPClient(control)
            try garbage.sendRaw(Array("HELLO THERE\r\n\r\n".utf8))
            #expect(try garbage.readResponse().status == 400)
            #expect(try TestHTTPClient.request(control, "GET", "/v1/instances").status == 200)
        }
    }
}
