import MeshCore
import MeshIO

/// Hands out free loopback TCP ports without handing out the same one twice.
///
/// Ports come from below the kernel's ephemeral range (where it picks ports for outgoing
/// connections and for binds to port 0), probed from a random start by binding each one;
/// every socket stays open until all ports are allocated, then all are closed and the
/// numbers handed over. Between that close and the child's own bind, the port is out of
/// reach of the kernel's own choices (busy load generators and proxies make thousands of
/// outgoing connections), so only another explicit bind could take it; the child would
/// then fail to listen and its readiness gate would report it. When too few ports are
/// free below the range, the rest come from binds to port 0.
public enum PortAllocator {
    /// The lowest port handed out.
    static let floor = 10_000

    /// `count` distinct free ports on 127.0.0.1.
    public static func allocate(_ count: Int) throws(IOError) -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { Posix.close($0) } }
        var ports: [Int] = []
        ports.reserveCapacity(count)
        let ephemeral = Posix.ephemeralPortRange()
        let ceiling = min(ephemeral.lowerBound, 65536)
        if ceiling - floor >= 1000 {
            let span = ceiling - floor
            var random = SeededRandom(seed: Posix.monotonicNanoseconds() ^ UInt64(Posix.processID()))
            var candidate = floor + Int(random.next() % UInt64(span))
            var tried = 0
            while ports.count < count, tried < span {
                if let fd = try Posix.bindLoopbackPort(candidate) {
                    sockets.append(fd)
                    ports.append(candidate)
                }
                tried += 1
                candidate = candidate + 1 < ceiling ? candidate + 1 : floor
            }
        }
        while ports.count < max(0, count) {
            let (fd, port) = try Posix.bindFreeLoopbackPort()
            sockets.append(fd)
            ports.append(port)
        }
        return ports
    }
}
