#!/usr/bin/env bash
# What a TLSStream costs, without sockets: full mutual-TLS handshakes per second (client and
# server both on one thread, so each handshake is both sides' work) and bulk plaintext
# throughput through a client/server pair, compiled -O as the data path is. Run by hand:
#
#   Benchmarks/tls-stream.sh [HANDSHAKES] [MEBIBYTES]      (defaults 2000 and 1024)
#
# The two streams are joined by a synchronous in-memory pipe (a flush hands the bytes to the
# peer at once), so the numbers are TLSStream + OpenSSL, not the kernel. For reference it
# also prints `openssl speed` for the negotiated cipher (AES-256-GCM).
set -euo pipefail
cd "$(dirname "$0")/.."
handshakes=${1:-2000}
mebibytes=${2:-1024}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

flags=(-O -wmo -package-name meshbed -enforce-exclusivity=unchecked -parse-as-library -I "$work" -I Sources/COpenSSL)
printf 'module CMeshbedShims {\n  header "%s"\n  export *\n}\n' "$PWD/Sources/CMeshbedShims/include/CMeshbedShims.h" > "$work/module.modulemap"
clang -O2 -c Sources/CMeshbedShims/shims.c -I Sources/CMeshbedShims/include -o "$work/shims.o"
for module in MeshIO MeshTLS MeshTLSIO; do
  swiftc "${flags[@]}" -module-name "$module" -emit-library -static -emit-module \
    -emit-module-path "$work/$module.swiftmodule" -o "$work/lib$module.a" Sources/$module/*.swift
done
cat > "$work/main.swift" <<'SWIFT'
import Glibc
import MeshIO
import MeshTLS
import MeshTLSIO
import Synchronization

/// This thread's CPU time (the machine may be busy: wall time then says little).
func threadCPU() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// One end of a synchronous memory pipe: `flush` hands the bytes to the peer's handler now.
final class DirectPipe: ByteStream {
    let loop: EventLoop
    var handler: ByteStreamHandler?
    weak var peer: DirectPipe?
    private var outbound: [UInt8] = []
    private var spare: [UInt8] = []
    private var flushing = false
    private(set) var isClosed = false
    init(loop: EventLoop) { self.loop = loop }
    var isWritable: Bool { true }
    var peerClosedWrite: Bool { false }
    func write(_ bytes: UnsafeRawBufferPointer) { outbound.append(contentsOf: bytes) }
    func appendOutbound(_ body: (inout [UInt8]) -> Void) { body(&outbound) }
    func flush() {
        guard !flushing, let peer else { return }
        flushing = true
        while !outbound.isEmpty, !isClosed {
            swap(&spare, &outbound)
            spare.withUnsafeBytes { _ = peer.handler?.connection(peer, received: $0) }
            spare.removeAll(keepingCapacity: true)
        }
        flushing = false
    }
    func pauseReading() {}
    func resumeReading() {}
    func shutdownWrite() { flush() }
    func closeGracefully() { close() }
    func close() {
        guard !isClosed else { return }
        isClosed = true
        let handler = self.handler
        self.handler = nil
        handler?.connectionClosed(self, error: nil)
    }
}

/// Counts what arrives and whether the stream became active.
final class Sink: ByteStreamHandler {
    var active = false
    var received = 0
    func connectionActive(_ connection: any ByteStream) { active = true }
    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        received += bytes.count
        return bytes.count
    }
    func connectionReadEOF(_ connection: any ByteStream) {}
    func connectionClosed(_ connection: any ByteStream, error: IOError?) {}
}

func pair(_ loop: EventLoop, _ client: TLSContext, _ server: TLSContext) -> (TLSStream, TLSStream, DirectPipe, Sink, Sink) {
    let a = DirectPipe(loop: loop), b = DirectPipe(loop: loop)
    a.peer = b
    b.peer = a
    let c = TLSStream(lower: a, context: client), s = TLSStream(lower: b, context: server)
    let cs = Sink(), ss = Sink()
    c.handler = cs
    s.handler = ss
    return (c, s, a, cs, ss)
}

@main struct Bench {
    static func main() throws {
        let arguments = CommandLine.arguments
        let handshakes = Int(arguments[1])!, mebibytes = Int(arguments[2])!
        let issuer = try CertificateIssuer.generateRoot(lifetime: .seconds(3600))
        func context(_ role: TLSConfiguration.Role, _ name: String) throws -> TLSContext {
            try TLSContext(configuration: TLSConfiguration(
                role: role, credential: try issuer.issueCredential(spiffeID: "spiffe://meshbed.local/ns/b/sa/\(name)", lifetime: .seconds(3600)),
                trustedRoots: issuer.root.certificateChain))
        }
        let client = try context(.client, "frontend"), server = try context(.server, "backend")
        let group = try EventLoopGroup(threads: 1)
        let done = Atomic<Bool>(false)
        let report = Mutex<[String]>([])
        group.loops[0].execute { [loop = group.loops[0]] in
            // Handshakes: a fresh pair each time, both sides' work on this thread.
            var start = Posix.monotonicNanoseconds()
            var cpuStart = threadCPU()
            var completed = 0
            for _ in 0..<handshakes {
                let (c, s, wire, cs, ss) = pair(loop, client, server)
                c.connectionActive(wire)
                if cs.active && ss.active { completed += 1 }
                c.close()
                s.close()
            }
            var seconds = Double(Posix.monotonicNanoseconds() - start) / 1e9
            var cpu = Double(threadCPU() - cpuStart) / 1e9
            let line1 = "handshakes: \(completed)/\(handshakes) in \(format3(seconds)) s wall, \(format3(cpu)) s CPU = \(Int(Double(completed) / cpu)) full mutual handshakes per CPU-second (client+server, one thread)"
            // Bulk: 64 KiB writes client -> server.
            let (c, s, wire, _, ss) = pair(loop, client, server)
            c.connectionActive(wire)
            let chunk = [UInt8](repeating: 0x5A, count: 64 * 1024)
            let total = mebibytes * 1024 * 1024
            start = Posix.monotonicNanoseconds()
            cpuStart = threadCPU()
            var sent = 0
            while sent < total {
                chunk.withUnsafeBytes { c.write($0) }
                c.flush()
                sent += chunk.count
            }
            seconds = Double(Posix.monotonicNanoseconds() - start) / 1e9
            cpu = Double(threadCPU() - cpuStart) / 1e9
            let line2 = "bulk: \(ss.received >> 20) MiB delivered of \(mebibytes) in \(format3(seconds)) s wall, \(format3(cpu)) s CPU = \(Int(Double(ss.received) / cpu / 1e6)) MB per CPU-second (encrypt + decrypt, one thread)"
            c.close()
            s.close()
            report.withLock { $0 = [line1, line2] }
            done.store(true, ordering: .releasing)
        }
        while !done.load(ordering: .acquiring) { Posix.sleep(nanoseconds: 1_000_000) }
        report.withLock { $0.forEach { print($0) } }
        group.shutdown()
    }
}

func format3(_ value: Double) -> String {
    let milli = Int((value * 1000).rounded())
    return "\(milli / 1000).\(String(milli % 1000).leftPadded(3))"
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
SWIFT
swiftc "${flags[@]}" -I Sources/CMeshbedShims/include "$work/main.swift" -L "$work" -lMeshTLSIO -lMeshTLS -lMeshIO \
  "$work/shims.o" -lssl -lcrypto -o "$work/tls-stream-bench"
"$work/tls-stream-bench" "$handshakes" "$mebibytes"
echo "reference: openssl speed -evp aes-256-gcm (16 KiB blocks, one thread)"
openssl speed -seconds 2 -evp aes-256-gcm 2>/dev/null | tail -1
echo "reference: openssl speed ecdsap256 ecdhx25519 (a mutual handshake is 2 signs, 4 verifies, 4 X25519 operations)"
openssl speed -seconds 2 ecdsap256 ecdhx25519 2>/dev/null | grep -E "nistp256|X25519\)"
