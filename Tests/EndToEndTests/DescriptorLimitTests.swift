import Foundation
import Glibc
import MeshTestSupport
import Testing

/// Issue 7, item 6, end to end: `meshbed echo` with 64 descriptors (a shell's `ulimit -n`).
/// The default connection limit is derived from that; past the descriptors, accepting backs
/// off instead of spinning, and the app answers again once the extra connections are gone.
@Suite(.serialized) struct DescriptorLimitTests {
    /// `meshbed echo` with `ulimit -n 64`; its address and pid.
    func startEcho(_ harness: Harness, _ extra: String = "") throws -> (address: String, pid: Int32) {
        let (process, lines) = try harness.startBackground("/bin/sh", ["-c", "ulimit -n 64 && exec '\(Harness.meshbed)' echo --port 0 --threads 1 \(extra)"])
        let line = try #require(lines.first(within: 10, where: { $0.contains("listening on ") }), "meshbed echo did not start")
        return (String(line.split(separator: " ").last!), process.processIdentifier)
    }

    /// CPU time (user + system) `pid` has used, in clock ticks.
    static func cpuTicks(_ pid: Int32) -> Int? {
        guard let stat = Harness.readProc("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    @Test func theDefaultLimitFollowsTheDescriptorLimit() throws {
        let harness = Harness()
        let address = try startEcho(harness).address
        // 64 descriptors: 16 connections (at least 16, else (64 - 64) / 2).
        var held: [RawConnection] = []
        for _ in 0..<16 { held.append(try RawConnection(address)) }
        #expect(held[0].exchange(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)).statuses == [200])
        let extra = try RawConnection(address)
        #expect(extra.closedByServer(within: 10), "the 17th connection was not closed at once")
        #expect(held[15].exchange(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)).statuses == [200])
    }

    @Test func outOfDescriptorsTheAppBacksOffAndRecovers() throws {
        let harness = Harness()
        let (address, pid) = try startEcho(harness, "--max-connections 1000")
        // More connections than descriptors: the kernel completes them, the app cannot accept them all.
        var held: [RawConnection] = []
        for _ in 0..<100 { held.append(try RawConnection(address)) }
        #expect(held.count == 100)
        // While they wait, the app must not spin on its listener. Its CPU time over a second is
        // compared with the second itself: backing off takes almost nothing, loaded machine or
        // not; spinning takes all the core it gets (52% measured on a busy 2-core machine).
        let ticks = try #require(Self.cpuTicks(pid))
        let start = Date()
        Thread.sleep(forTimeInterval: 1)
        let elapsedTicks = Date().timeIntervalSince(start) * Double(sysconf(Int32(_SC_CLK_TCK)))
        let used = try #require(Self.cpuTicks(pid)) - ticks
        #expect(Double(used) < elapsedTicks / 5, "the app used \(used) ticks of CPU in \(Int(elapsedTicks)) while it was out of descriptors")
        for connection in held { connection.close() }
        held = []
        // Once they are gone the app answers again (it did not wedge or die meanwhile).
        #expect(eventually(within: 20) { normalRequestStatus(address) == 200 })
    }
}
