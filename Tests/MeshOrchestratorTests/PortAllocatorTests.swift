import Glibc
import MeshIO
import MeshOrchestrator
import Testing

/// Ports come out distinct and free: each can be bound by a plain listener afterwards.
@Suite struct PortAllocatorTests {
    @Test func portsAreDistinctAndBindable() throws {
        let ports = try PortAllocator.allocate(64)
        #expect(ports.count == 64)
        #expect(Set(ports).count == 64)
        #expect(ports.allSatisfy { (1024...65535).contains($0) })
        var sockets: [Int32] = []
        defer { sockets.forEach { Posix.close($0) } }
        for port in ports {
            let fd = try Posix.socket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue))
            sockets.append(fd)
            // No SO_REUSEADDR: the bind fails if anyone still holds the port.
            try Posix.bind(fd, SocketAddress(host: "127.0.0.1", port: port)!)
            try Posix.listen(fd, backlog: 1)
        }
    }

    @Test func zeroPortsIsEmpty() throws {
        #expect(try PortAllocator.allocate(0).isEmpty)
    }
}
