import Foundation
import MeshTestSupport
import Testing

/// `meshbed echo` against real HTTP peers: curl, Python's http.client and raw sockets, wrk.
@Suite(.serialized) struct EchoPeerTests {
    static let peer = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../fixtures/http_peer.py").standardized.path

    func json(_ text: String) throws -> [String: Any] {
        let line = text.split(separator: "\n").last.map(String.init) ?? ""
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw HarnessError("not a JSON object: \(text)")
        }
        return object
    }

    @Test func curlSeesHeadersAndJSONBody() throws {
        let harness = Harness()
        let echo = try harness.startEcho(["--service", "reviews", "--version", "v2", "--instance", "reviews-v2-1"])
        let result = try Harness.run("curl", ["-s", "-i", "-H", "X-Test: a\"b", "http://\(echo.address)/hello/world?x=1"])
        #expect(result.status == 0)
        let (head, body) = try #require(result.stdout.range(of: "\r\n\r\n").map {
            (String(result.stdout[..<$0.lowerBound]), String(result.stdout[$0.upperBound...]))
        })
        #expect(head.hasPrefix("HTTP/1.1 200 OK"))
        #expect(head.contains("x-meshbed-service: reviews"))
        #expect(head.contains("x-meshbed-version: v2"))
        #expect(head.contains("x-meshbed-instance: reviews-v2-1"))
        let object = try json(body)
        #expect(object["service"] as? String == "reviews")
        #expect(object["version"] as? String == "v2")
        #expect(object["instance"] as? String == "reviews-v2-1")
        #expect(object["method"] as? String == "GET")
        #expect(object["path"] as? String == "/hello/world")
        #expect(object["query"] as? String == "x=1")
        #expect(object["bodyBytes"] as? Int == 0)
        let headers = try #require(object["headers"] as? [String: String])
        #expect(headers["x-test"] == "a\"b")
        #expect(headers["user-agent"]?.hasPrefix("curl/") == true)
    }

    @Test func queryShapesTheResponse() throws {
        let harness = Harness()
        let echo = try harness.startEcho()
        let status = try Harness.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://\(echo.address)/?status=503"])
        #expect(status.stdout == "503")
        let size = try Harness.run("curl", ["-s", "-o", "/dev/null", "-w", "%{size_download}", "http://\(echo.address)/?size=300000"])
        #expect(size.stdout == "300000")
        let delayed = try Harness.run("curl", ["-s", "-o", "/dev/null", "-w", "%{time_total}", "http://\(echo.address)/?delay=150ms"])
        #expect((Double(delayed.stdout) ?? 0) >= 0.15)
        let bad = try Harness.run("curl", ["-s", "-w", "\n%{http_code}", "http://\(echo.address)/?delay=soon"])
        #expect(bad.stdout.hasSuffix("\n400"))
        #expect(bad.stdout.contains("delay"))
        let head = try Harness.run("curl", ["-s", "-I", "http://\(echo.address)/"])
        #expect(head.stdout.hasPrefix("HTTP/1.1 200"))
        #expect(head.stdout.lowercased().contains("content-length: "))
    }

    @Test func errorRateAndLatencyFlags() throws {
        let harness = Harness()
        let echo = try harness.startEcho(["--error-rate", "100", "--latency", "50ms"])
        let result = try Harness.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "http://\(echo.address)/"])
        let parts = result.stdout.split(separator: " ")
        #expect(parts.first == "500")
        #expect((Double(parts.last ?? "") ?? 0) >= 0.05)
    }

    @Test func pythonHTTPClientKeepAliveBodiesHeadAndHTTP10() throws {
        let harness = Harness()
        let echo = try harness.startEcho()
        let result = try Harness.run("python3", [Self.peer, "client", echo.address])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try json(result.stdout)
        let gets = try #require(object["gets"] as? [[String: Any]])
        #expect(gets.count == 5)
        for (index, get) in gets.enumerated() {
            #expect(get["status"] as? Int == 200)
            #expect(get["path"] as? String == "/item/\(index)")
            #expect(get["query"] as? String == "q=\(index)")
            #expect(get["trace"] as? String == "t\(index)")
            #expect(get["sameConnection"] as? Bool == true)
        }
        #expect(object["post"] as? Int == 1000)
        #expect(object["chunked"] as? Int == 7770)
        let head = try #require(object["head"] as? [String: Any])
        #expect(head["status"] as? Int == 200)
        #expect(head["body"] as? Int == 0)
        #expect(object["sameConnectionAtEnd"] as? Bool == true)
        let old = try #require(object["http10"] as? [String: Any])
        #expect(old["status"] as? Int == 200)
        #expect(old["path"] as? String == "/old")
    }

    @Test func expectContinue() throws {
        let harness = Harness()
        let echo = try harness.startEcho()
        let object = try json(try Harness.run("python3", [Self.peer, "continue", echo.address]).stdout)
        #expect(object["interim"] as? String == "HTTP/1.1 100 Continue")
        #expect(object["final"] as? String == "HTTP/1.1 200 OK")
        #expect(object["bodyBytes"] as? Int == 5)
    }

    @Test func pipelinedRequestsAnswerInOrderEvenWhenEarlierOnesAreSlower() throws {
        let harness = Harness()
        let echo = try harness.startEcho()
        let object = try json(try Harness.run("python3", [Self.peer, "pipeline", echo.address, "6"]).stdout)
        #expect(object["paths"] as? [String] == ["/p/0", "/p/1", "/p/2", "/p/3", "/p/4", "/p/5", "/last"])
        #expect(object["closed"] as? Bool == true)
    }

    /// Malformed requests: exactly one response with the right status, then the connection
    /// closes and the valid request pipelined behind the bad one is never answered.
    @Test(arguments: [
        ("GET / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n", 400),
        ("POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: +5\\r\\n\\r\\nhello", 400),
        ("POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 1 2\\r\\n\\r\\n", 400),
        ("POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\nContent-Length: 6\\r\\n\\r\\n", 400),
        ("POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked, gzip\\r\\n\\r\\n", 400),
        ("POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: gzip\\r\\n\\r\\n", 501),
        ("GET / HTTP/1.1\\r\\nHost: x\\r\\nX-A: b\\r\\n c\\r\\n\\r\\n", 400),
        ("GET / HTTP/1.1\\r\\nHost : x\\r\\n\\r\\n", 400),
        ("GET / HTTP/1.1\\r\\nHost: x\\r\\nnocolon\\r\\n\\r\\n", 400),
        ("GET / HTTP/1.1\\r\\nHost: x\\rX: y\\r\\n\\r\\n", 400),
        ("GET / HTTP/1.1\\nHost: x\\n\\n", 400),
        ("POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\n", 400),
        ("POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n3\\r\\nabcdef\\r\\n0\\r\\n\\r\\n", 400),
        ("POST / HTTP/1.0\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n", 400),
        ("GET / HTTP/1.1\\r\\n\\r\\n", 400),
        ("GET / HTTP/1.1\\r\\nHost: a\\r\\nHost: b\\r\\n\\r\\n", 400),
    ])
    func malformedRequestsGetOneErrorAndClose(request: String, status: Int) throws {
        let harness = Harness()
        let echo = try harness.startEcho()
        let follow = "GET /after HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"
        let object = try json(try Harness.run("python3", [Self.peer, "raw", echo.address, request + follow]).stdout)
        #expect(object["statuses"] as? [Int] == [status], "\(object["response"] ?? "")")
        #expect(object["closed"] as? Bool == true)
    }

    @Test func http10KeepAliveOnlyWhenAsked() throws {
        let harness = Harness()
        let echo = try harness.startEcho()
        let requests = "GET /a HTTP/1.0\\r\\nConnection: keep-alive\\r\\n\\r\\nGET /b HTTP/1.0\\r\\n\\r\\nGET /never HTTP/1.0\\r\\n\\r\\n"
        let object = try json(try Harness.run("python3", [Self.peer, "raw", echo.address, requests]).stdout)
        // The first asked to stay open, the second did not: two answers, then close.
        #expect(object["statuses"] as? [Int] == [200, 200])
        #expect(object["closed"] as? Bool == true)
        let response = object["response"] as? String ?? ""
        #expect(response.contains("connection: keep-alive"))
        #expect(response.contains("connection: close"))
    }

    @Test func oversizedRequestLineAndHeaders() throws {
        let harness = Harness()
        let echo = try harness.startEcho()
        let longTarget = "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"
        let line = try json(try Harness.run("python3", [Self.peer, "raw", echo.address, longTarget]).stdout)
        #expect(line["statuses"] as? [Int] == [414])
        let bigHeader = "GET / HTTP/1.1\\r\\nHost: x\\r\\nX-Big: " + String(repeating: "b", count: 61 * 1024) + "\\r\\n\\r\\n"
        let big = try json(try Harness.run("python3", [Self.peer, "raw", echo.address, bigHeader]).stdout)
        #expect(big["statuses"] as? [Int] == [431])
        let many = "GET / HTTP/1.1\\r\\nHost: x\\r\\n" + (0..<101).map { "X-\($0): y\\r\\n" }.joined() + "\\r\\n"
        let count = try json(try Harness.run("python3", [Self.peer, "raw", echo.address, many]).stdout)
        #expect(count["statuses"] as? [Int] == [431])
    }

    @Test func slowlorisGets408() throws {
        let harness = Harness()
        let echo = try harness.startEcho(["--header-timeout", "500ms"])
        let object = try json(try Harness.run("python3", [Self.peer, "slow", echo.address, "5"]).stdout)
        #expect(object["status"] as? String == "HTTP/1.1 408 Request Timeout")
        #expect(object["closed"] as? Bool == true)
        #expect((object["after"] as? Double ?? 99) < 4)
    }

    @Test func wrkRunsCleanly() throws {
        guard Harness.has("wrk") else {
            Issue.record("wrk is not installed (.ci/run installs it)")
            return
        }
        let harness = Harness()
        let echo = try harness.startEcho(["--threads", "1"])
        let result = try Harness.run("wrk", ["-t1", "-c8", "-d1s", "http://\(echo.address)/"])
        #expect(result.status == 0)
        #expect(!result.stdout.contains("Socket errors"), "\(result.stdout)")
        #expect(!result.stdout.contains("Non-2xx"), "\(result.stdout)")
        // `N requests in 1.00s`: some were answered (how many depends on the machine's load).
        let line = try #require(result.stdout.split(separator: "\n").first { $0.contains(" requests in ") }, "\(result.stdout)")
        #expect((Int(line.split(separator: " ").first ?? "") ?? 0) > 0, "\(line)")
    }

    /// A 128 MiB chunked upload streams through: the echo counts every byte while its
    /// resident memory stays far below the body's size.
    @Test func largeChunkedUploadInBoundedMemory() throws {
        let harness = Harness()
        let echo = try harness.startEcho(["--threads", "1"])
        let size = 128 * 1024 * 1024
        let script = """
        import json, socket, sys
        host, port = sys.argv[1].rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
        s.sendall(b"POST /upload HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n")
        chunk = b"z" * 65536
        frame = b"%x\\r\\n" % len(chunk) + chunk + b"\\r\\n"
        for _ in range(\(size) // 65536):
            s.sendall(frame)
        s.sendall(b"0\\r\\n\\r\\n")
        data = b""
        while not data.rstrip().endswith(b"}"):
            piece = s.recv(65536)
            if not piece: break
            data += piece
        print(json.loads(data.split(b"\\r\\n\\r\\n", 1)[1])["bodyBytes"])
        """
        let result = try Harness.python(script, [echo.address], timeout: 120)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(size), "\(result.stderr)")
        let status = try #require(Harness.readProc("/proc/\(echo.process.processIdentifier)/status"))
        let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        let kilobytes = Int(peak?.split(separator: " ").dropFirst().first ?? "") ?? Int.max
        #expect(kilobytes < 64 * 1024, "peak resident memory \(kilobytes) kB")
    }

    @Test func gracefulShutdownFinishesInFlightRequest() throws {
        let harness = Harness()
        let echo = try harness.startEcho()
        let script = """
        import http.client, sys, json
        host, port = sys.argv[1].rsplit(":", 1)
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        c.request("GET", "/?delay=2s")
        print("sent", flush=True)
        r = c.getresponse()
        print(json.dumps({"status": r.status, "path": json.loads(r.read())["path"]}))
        """
        let (client, lines) = try harness.startBackground("/usr/bin/env", ["python3", "-c", script, echo.address])
        #expect(lines.first(within: 10) { $0 == "sent" } != nil)
        // Wait until the server has read the request (its socket's receive queue is empty).
        let port = Int(echo.address.split(separator: ":").last!)!
        #expect(eventually(within: 10) { Harness.serverConsumedAll(port: port) })
        echo.process.terminate()  // SIGTERM
        let answer = lines.first(within: 10) { $0.hasPrefix("{") }
        #expect(answer?.contains("\"status\": 200") == true)
        echo.process.waitUntilExit()
        #expect(echo.process.terminationStatus == 0)
        client.waitUntilExit()
    }
}
