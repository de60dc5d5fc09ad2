import Foundation
import Glibc
import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshTestSupport
import Testing

/// HTTPServer + HTTPClientConnection / HTTPConnectionPool, in process, on 127.0.0.1:0.
/// Loop-confined objects are only touched inside `onLoop` (or loop callbacks).
@Suite struct HTTPClientServerTests {
    static let twoSeconds: UInt64 = 2_000_000_000

    // MARK: 1. keep-alive

    @Test func threeSequentialRequestsShareOneKeepAliveConnection() throws {
        let group = try EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let stats = Shared(ServerRecord())
        let server = try makeTestServer(group: group, stats: stats)
        defer { server.shutdown(timeout: Self.twoSeconds) }
        let address = server.address
        let loop = group.loops[0]
        let client = LoopBound<HTTPClientConnection?>(loop: loop, nil)
        let recorder = ResponseRecorder()

        for i in 1...3 {
            let sent = onLoop(loop) { () -> Bool in
                if client.value == nil { client.value = try? HTTPClientConnection.connect(to: address, on: loop) }
                guard let connection = client.value, !connection.isBusy else { return false }
                requestBytes("GET", "/r\(i)").withUnsafeBytes { connection.send($0, handler: recorder) }
                return true
            }
            #expect(sent == true)
            #expect(eventually { recorder.record.value.ends == i }, "response \(i) did not end")
            // Between exchanges the connection is idle and may carry the next request.
            #expect(onLoop(loop) { client.value?.isReusable ?? false } == true)
        }

        let record = recorder.record.value
        #expect(record.statuses == [200, 200, 200])
        #expect(record.bodies.map { String(decoding: $0, as: UTF8.self) } == ["path=/r1", "path=/r2", "path=/r3"])
        #expect(record.keepAlives == [true, true, true])
        #expect(record.failures.isEmpty)
        #expect(stats.value.connections == 1)
        #expect(stats.value.requests == ["GET /r1", "GET /r2", "GET /r3"])
        #expect(server.connectionCount == 1)

        _ = onLoop(loop) { client.value?.close(); return true }
        #expect(eventually { server.connectionCount == 0 })
    }

    // MARK: 2. pool reuse

    @Test func poolHandsBackTheSameIdleConnection() throws {
        let group = try EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let stats = Shared(ServerRecord())
        let server = try makeTestServer(group: group, stats: stats)
        defer { server.shutdown(timeout: Self.twoSeconds) }
        let address = server.address
        let loop = group.loops[0]
        let pool = LoopBound(loop: loop, HTTPConnectionPool(loop: loop))
        let first = LoopBound<HTTPClientConnection?>(loop: loop, nil)
        let recorder = ResponseRecorder(onEnd: { connection in pool.value.checkin(connection) })

        let sent = onLoop(loop) { () -> Bool in
            guard let connection = try? pool.value.checkout(address) else { return false }
            first.value = connection
            requestBytes("GET", "/a").withUnsafeBytes { connection.send($0, handler: recorder) }
            return true
        }
        #expect(sent == true)
        #expect(eventually { recorder.record.value.ends == 1 })
        #expect(onLoop(loop) { pool.value.idleCount(address) } == 1)

        // The second checkout takes the idle connection out of the pool.
        let second = onLoop(loop) { () -> (same: Bool, idle: Int)? in
            guard let connection = try? pool.value.checkout(address) else { return nil }
            let same = connection === first.value
            let idle = pool.value.idleCount(address)
            requestBytes("GET", "/b").withUnsafeBytes { connection.send($0, handler: recorder) }
            return (same, idle)
        }
        #expect(second??.same == true)
        #expect(second??.idle == 0)
        #expect(eventually { recorder.record.value.ends == 2 })
        #expect(onLoop(loop) { pool.value.idleCount(address) } == 1)

        let record = recorder.record.value
        #expect(record.statuses == [200, 200])
        #expect(record.bodies.map { String(decoding: $0, as: UTF8.self) } == ["path=/a", "path=/b"])
        #expect(record.failures.isEmpty)
        #expect(stats.value.connections == 1)

        _ = onLoop(loop) { pool.value.closeAll(); return pool.value.idleCount(address) }
    }

    // MARK: 3. pool drops connections the server closed

    @Test func poolNeverReusesAConnectionTheServerClosed() throws {
        let group = try EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let stats = Shared(ServerRecord())
        let configuration = HTTPServerConfiguration(idleTimeout: 100_000_000)
        let server = try makeTestServer(group: group, configuration: configuration, stats: stats)
        defer { server.shutdown(timeout: Self.twoSeconds) }
        let address = server.address
        let loop = group.loops[0]
        let pool = LoopBound(loop: loop, HTTPConnectionPool(loop: loop))
        let first = LoopBound<HTTPClientConnection?>(loop: loop, nil)
        let idleAfterCheckin = Shared<[Int]>([])
        let recorder = ResponseRecorder(onEnd: { connection in
            pool.value.checkin(connection)
            idleAfterCheckin.update { $0.append(pool.value.idleCount(address)) }
        })

        let sent = onLoop(loop) { () -> Bool in
            guard let connection = try? pool.value.checkout(address) else { return false }
            first.value = connection
            requestBytes("GET", "/first").withUnsafeBytes { connection.send($0, handler: recorder) }
            return true
        }
        #expect(sent == true)
        // The recorder counts the end before its onEnd checks the connection in: wait for both.
        #expect(eventually { recorder.record.value.ends == 1 && idleAfterCheckin.value.count == 1 })
        #expect(idleAfterCheckin.value == [1])

        // The server closes the idle connection after 100 ms; the pool must drop it.
        #expect(eventually { onLoop(loop) { pool.value.idleCount(address) } == 0 }, "pool kept a closed connection")
        #expect(onLoop(loop) { first.value?.isReusable } == false)
        #expect(eventually { server.connectionCount == 0 })

        let second = onLoop(loop) { () -> Bool? in
            guard let connection = try? pool.value.checkout(address) else { return nil }
            let isNew = connection !== first.value
            requestBytes("GET", "/second").withUnsafeBytes { connection.send($0, handler: recorder) }
            return isNew
        }
        #expect(second == .some(.some(true)), "checkout returned the closed connection")
        #expect(eventually { recorder.record.value.ends == 2 || !recorder.record.value.failures.isEmpty })

        let record = recorder.record.value
        #expect(record.failures.isEmpty)
        #expect(record.statuses == [200, 200])
        #expect(record.bodies.map { String(decoding: $0, as: UTF8.self) } == ["path=/first", "path=/second"])
        #expect(stats.value.connections == 2)

        _ = onLoop(loop) { pool.value.closeAll(); return true }
    }

    // MARK: 4. streaming with backpressure

    @Test func streamsFiveMegabytesChunkedWithBackpressure() throws {
        let size = 5 * 1024 * 1024
        let group = try EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let stats = Shared(ServerRecord())
        let server = try makeTestServer(group: group, stats: stats)
        defer { server.shutdown(timeout: Self.twoSeconds) }
        let address = server.address
        let loop = group.loops[0]
        let client = LoopBound<HTTPClientConnection?>(loop: loop, nil)
        let recorder = StreamRecorder()

        let sent = onLoop(loop) { () -> Bool in
            guard let connection = try? HTTPClientConnection.connect(to: address, on: loop) else { return false }
            client.value = connection
            requestBytes("GET", "/stream?bytes=\(size)").withUnsafeBytes { connection.send($0, handler: recorder) }
            return true
        }
        #expect(sent == true)
        #expect(eventually(within: 20) { recorder.record.value.ended || recorder.record.value.failure != nil })

        var expected = FNV1a()
        var offset = 0
        while offset < size {
            let count = min(StreamPattern.window, size - offset)
            StreamPattern.withBytes(at: offset, count: count) { expected.update($0) }
            offset += count
        }

        let record = recorder.record.value
        #expect(record.failure == nil)
        #expect(record.ended)
        #expect(record.status == 200)
        #expect(record.framing == .chunked)
        #expect(record.length == size)
        #expect(record.mismatches == 0)
        #expect(record.checksum == expected)
        #expect(record.pieces > 1)
        // The handler stopped at the high-water mark and resumed on `responseWritable`.
        #expect(stats.value.writableCallbacks >= 1)
        #expect(stats.value.streamedBytes == size)
        // Chunked framing leaves the connection reusable.
        #expect(onLoop(loop) { client.value?.isReusable ?? false } == true)

        _ = onLoop(loop) { client.value?.close(); return true }
    }

    // MARK: 5. HEAD

    @Test func headResponseHasNoBodyAndConnectionStaysReusable() throws {
        let group = try EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let stats = Shared(ServerRecord())
        let server = try makeTestServer(group: group, stats: stats)
        defer { server.shutdown(timeout: Self.twoSeconds) }
        let address = server.address
        let loop = group.loops[0]
        let client = LoopBound<HTTPClientConnection?>(loop: loop, nil)
        let recorder = ResponseRecorder()

        let sent = onLoop(loop) { () -> Bool in
            guard let connection = try? HTTPClientConnection.connect(to: address, on: loop) else { return false }
            client.value = connection
            requestBytes("HEAD", "/h").withUnsafeBytes { connection.send($0, isHEAD: true, handler: recorder) }
            return true
        }
        #expect(sent == true)
        #expect(eventually { recorder.record.value.ends == 1 || !recorder.record.value.failures.isEmpty })
        #expect(onLoop(loop) { client.value?.isReusable ?? false } == true)

        // The same connection carries a GET: no stray body bytes were left behind.
        let again = onLoop(loop) { () -> Bool in
            guard let connection = client.value, connection.isReusable else { return false }
            requestBytes("GET", "/g").withUnsafeBytes { connection.send($0, handler: recorder) }
            return true
        }
        #expect(again == true)
        #expect(eventually { recorder.record.value.ends == 2 || !recorder.record.value.failures.isEmpty })

        let record = recorder.record.value
        #expect(record.failures.isEmpty)
        #expect(record.statuses == [200, 200])
        // The HEAD response announces the GET's length ("path=/h") but carries no body.
        #expect(record.contentLengths.first == .some("7"))
        #expect(record.bodies.first == [])
        #expect(record.bodies.last.map { String(decoding: $0, as: UTF8.self) } == "path=/g")
        #expect(record.keepAlives == [true, true])
        #expect(stats.value.connections == 1)
        #expect(stats.value.requests == ["HEAD /h", "GET /g"])

        _ = onLoop(loop) { client.value?.close(); return true }
    }

    // MARK: 6. graceful shutdown

    @Test func gracefulShutdownFinishesTheInFlightResponse() throws {
        let group = try EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let stats = Shared(ServerRecord())
        let held = HeldResponses()
        let server = try makeTestServer(group: group, stats: stats, held: held)
        let address = server.address
        let loop = group.loops[0]
        let client = LoopBound<HTTPClientConnection?>(loop: loop, nil)
        let recorder = ResponseRecorder()

        let sent = onLoop(loop) { () -> Bool in
            guard let connection = try? HTTPClientConnection.connect(to: address, on: loop) else { return false }
            client.value = connection
            requestBytes("GET", "/slow").withUnsafeBytes { connection.send($0, handler: recorder) }
            return true
        }
        #expect(sent == true)
        // Shut down only once the handler holds the request; answer only once every loop
        // drains. Events, not a timer racing the shutdown: a loaded machine changes nothing.
        #expect(eventually { held.count == 1 })
        #expect(stats.value.slowHeadSeen)
        #expect(recorder.record.value.ends == 0)

        let drained = Shared<Bool?>(nil)
        // A thread of its own: the shared pools may all be busy with other blocked tests.
        Thread {
            let result = server.shutdown(timeout: 120_000_000_000)
            drained.update { $0 = result }
        }.start()
        #expect(eventually(within: 60) { server.drainingLoops == group.loops.count })
        // The exchange is in flight, so the shutdown cannot have finished.
        #expect(drained.value == nil)
        held.release()
        #expect(eventually(within: 60) { drained.value != nil })
        #expect(drained.value == true)
        #expect(server.connectionCount == 0)
        #expect(eventually { recorder.record.value.ends == 1 || !recorder.record.value.failures.isEmpty })

        let record = recorder.record.value
        #expect(record.failures.isEmpty)
        #expect(record.statuses == [200])
        #expect(record.bodies.map { String(decoding: $0, as: UTF8.self) } == ["slow"])
        // A draining server announces the close on the response itself.
        #expect(record.keepAlives == [false])
        #expect(stats.value.aborted == 0)
        #expect(onLoop(loop) { client.value?.isReusable ?? true } == false)
    }

    // MARK: 7. connect failure

    @Test func connectionToAClosedPortFailsWithConnectFailed() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let refusing = try reserveRefusingPort()
        defer { Posix.close(refusing.fd) }
        let address = refusing.address
        let loop = group.loops[0]
        let client = LoopBound<HTTPClientConnection?>(loop: loop, nil)
        let recorder = ResponseRecorder()

        let thrown = onLoop(loop) { () -> IOError? in
            do throws(IOError) {
                let connection = try HTTPClientConnection.connect(to: address, on: loop)
                client.value = connection
                requestBytes("GET", "/nobody").withUnsafeBytes { connection.send($0, handler: recorder) }
                return nil
            } catch {
                return error
            }
        }
        // The connect is non-blocking: the refusal arrives as an exchange failure, not a throw.
        #expect(thrown == .some(nil))
        #expect(eventually { !recorder.record.value.failures.isEmpty })

        let record = recorder.record.value
        #expect(record.failures.count == 1)
        #expect(record.statuses.isEmpty)
        #expect(record.ends == 0)
        if case .connectFailed(let error)? = record.failures.first {
            #expect(error.code == ECONNREFUSED)
        } else {
            Issue.record("expected connectFailed, got \(record.failures)")
        }
        #expect(onLoop(loop) { client.value?.isConnected ?? true } == false)
    }
}

/// Idle timeouts of pooled connections, on manual time.
@Suite struct PoolIdleTimeoutTests {
    @Test func anIdleConnectionIsClosedOnceItsIdleTimeoutPasses() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let stats = Shared(ServerRecord())
        let server = try makeTestServer(group: group, stats: stats)
        defer { server.shutdown(timeout: 2_000_000_000) }
        let address = server.address
        let loop = group.loops[0]
        let scheduler = ManualTimerScheduler()
        let pool = LoopBound(loop: loop, HTTPConnectionPool(loop: loop, timers: scheduler))
        let timers = LoopBound(loop: loop, scheduler)
        let recorder = ResponseRecorder(onEnd: { connection in pool.value.checkin(connection, idleTimeout: 1_000_000_000) })
        for path in ["/a", "/b"] {
            #expect(onLoop(loop) { () -> Bool in
                guard let connection = try? pool.value.checkout(address) else { return false }
                requestBytes("GET", path).withUnsafeBytes { connection.send($0, handler: recorder) }
                return true
            } == true)
            #expect(eventually { recorder.record.value.ends == (path == "/a" ? 1 : 2) })
        }
        #expect(onLoop(loop) { pool.value.idleCount(address) } == 1, "the second request reused the first connection")
        #expect(onLoop(loop) { () -> Int in
            timers.value.advance(by: 999_999_999)
            return pool.value.idleCount(address)
        } == 1)
        #expect(onLoop(loop) { () -> Int in
            timers.value.advance(by: 1)
            return pool.value.idleCount(address)
        } == 0, "closed at its idle timeout")
        #expect(stats.value.connections == 1)
    }
}
