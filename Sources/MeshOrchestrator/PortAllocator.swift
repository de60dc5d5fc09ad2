import MeshIO

/// Hands out free loopback TCP ports without handing out the same one twice.
///
/// Each port comes from binding a socket to port 0 on 127.0.0.1; every socket stays open
/// until all ports are allocated (so the kernel cannot give the same port twice), then all
/// are closed and the numbers handed over. A port can still be taken by someone else
/// between that close and the child's own bind; the child then fails to listen and its
/// readiness gate reports it.
public enum PortAllocator {
    /// `count` distinct free ports on 127.0.0.1.
    public static func allocate(_ count: Int) throws(IOError) -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { Posix.close($0) } }
        var ports: [Int] = []
        ports.reserveCapacity(count)
        for _ in 0..<max(0, count) {
            let (fd, port) = try Posix.bindFreeLoopbackPort()
            sockets.append(fd)
            ports.append(port)
        }
        return ports
    }
}
