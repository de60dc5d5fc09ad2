import MeshIO
import Synchronization

/// Lines about refused connections (failed handshakes, refused peers) on the sidecar's
/// standard error, which is its log file: at most `perSecond` a second, then one line
/// saying how many were left out, so a flood of bad handshakes cannot fill the disk.
final class RejectionLog: Sendable {
    private let prefix: String
    private let perSecond: Int
    private let window = Mutex((start: UInt64(0), written: 0, dropped: 0))

    init(instance: String, perSecond: Int = 10) {
        self.prefix = "meshbed proxy: \(instance): "
        self.perSecond = perSecond
    }

    /// Logs `message` unless this second's budget is spent.
    func note(_ message: String) {
        let now = Posix.monotonicNanoseconds()
        let (write, dropped) = window.withLock { window -> (Bool, Int) in
            var dropped = 0
            if now &- window.start >= 1_000_000_000 {
                dropped = window.dropped
                window = (now, 0, 0)
            }
            guard window.written < perSecond else {
                window.dropped += 1
                return (false, dropped)
            }
            window.written += 1
            return (true, dropped)
        }
        var text = ""
        if dropped > 0 { text += prefix + "(\(dropped) more refusals not logged)\n" }
        if write { text += prefix + message + "\n" }
        if !text.isEmpty { Posix.writeAll(2, Array(text.utf8)) }
    }
}
