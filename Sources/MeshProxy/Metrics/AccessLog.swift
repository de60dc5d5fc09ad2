import MeshCore
import MeshHTTP
import MeshIO
import MeshTLS

/// The access log of one event loop: one JSON line per finished request, read from its
/// decision record, in the sidecar's log (standard output). Lines gather in a buffer that is
/// written when 32 KiB are waiting or 100 ms after the first of them, so a busy loop makes
/// one write for many requests and an idle one shows its lines within 100 ms. Confined to
/// its loop (`@unchecked Sendable`: only its loop touches it, as `ProxyLoopState`).
///
///     {"time":"2026-11-29T21:55:01.123Z","kind":"access","traceId":"4bf92f3577b34da6a3ce929d0e0e4736",
///      "reporter":"source","source":"ingress",
///      "destination":"reviews","version":"v2","endpoint":"reviews-v2-0","method":"GET","path":"/",
///      "status":200,"flags":"-","durationMs":1.234,"attempts":1,"bytesOut":312}
final class AccessLog: @unchecked Sendable {
    /// Written once this much is waiting.
    static let flushBytes = 32 * 1024
    /// The longest a line waits.
    static let flushDelay: UInt64 = 100_000_000

    private let timers: any TimerScheduler
    private let wallClock: () -> Int64
    private let output: (UnsafeRawBufferPointer) -> Void
    private let buffer = LogBuffer(capacity: AccessLog.flushBytes + 4096)
    private var timer: TimerID?
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` of the last line's millisecond, and that millisecond (a
    /// busy loop writes several lines a millisecond).
    private var timeText: [UInt8] = []
    private var millisecond: Int64 = -1
    /// The last line's names and their JSON text, from `"reporter"` to the endpoint (most
    /// lines repeat the one before: one copy instead of escaping five strings again).
    private var lastReporter: RequestMetrics.Reporter?
    private var lastSource = "", lastDestination = "", lastVersion = ""
    private var lastEndpoint: String?
    private var namesText: [UInt8] = []

    /// A log that writes with `output` (standard output by default) on `timers`' loop.
    init(timers: any TimerScheduler, wallClock: @escaping () -> Int64 = Posix.wallClockNanoseconds,
         output: @escaping (UnsafeRawBufferPointer) -> Void = { Posix.writeAll(1, $0) }) {
        self.timers = timers
        self.wallClock = wallClock
        self.output = output
    }

    /// What a line says of a request, from its decision record.
    struct Request {
        /// The trace id (W3C Trace Context) the request belongs to.
        var traceHigh: UInt64
        var traceLow: UInt64
        /// The last attempt's endpoint (nil: no attempt).
        var endpoint: String?
        var method: HTTPMethod
        var path: [UInt8]
        var status: Int
        var flags: ResponseFlags
        var attempts: Int
        var responseBytes: Int
        var fault: String?
    }

    /// One finished request.
    func append(reporter: RequestMetrics.Reporter, source: String, destination: String, version: String, request: Request,
                nanoseconds: UInt64) {
        let line = buffer
        line.raw("{\"time\":\"")
        appendTime()
        line.raw("\",\"kind\":\"access\",\"traceId\":\"")
        line.hex(request.traceHigh, digits: 16)
        line.hex(request.traceLow, digits: 16)
        line.raw("\",")
        let endpoint = request.endpoint
        if reporter != lastReporter || source != lastSource || destination != lastDestination || version != lastVersion
            || endpoint != lastEndpoint {
            renderNames(reporter: reporter, source: source, destination: destination, version: version, endpoint: endpoint)
        }
        line.raw(namesText)
        line.requestFields(method: request.method, path: request.path, status: request.status, flags: request.flags)
        line.raw(",\"durationMs\":")
        line.decimal(nanoseconds / 1_000_000)
        line.byte(UInt8(ascii: "."))
        line.digits(nanoseconds / 1000 % 1000, width: 3)
        line.raw(",\"attempts\":")
        line.decimal(request.attempts)
        line.raw(",\"bytesOut\":")
        line.decimal(request.responseBytes)
        if let fault = request.fault {
            line.raw(",\"fault\":")
            line.string(fault)
        }
        line.raw("}\n")
        if line.count >= Self.flushBytes {
            flush()
        } else if timer == nil {
            timer = timers.schedule(at: timers.now &+ Self.flushDelay) { [weak self] in
                self?.timer = nil
                self?.flush()
            }
        }
    }

    /// `"reporter":…,"source":…,"destination":…,"version":…[,"endpoint":…]` into `namesText`.
    private func renderNames(reporter: RequestMetrics.Reporter, source: String, destination: String, version: String, endpoint: String?) {
        (lastReporter, lastSource, lastDestination, lastVersion, lastEndpoint) = (reporter, source, destination, version, endpoint)
        let text = LogBuffer(capacity: 256)
        text.raw(reporter == .source ? "\"reporter\":\"source\"" : "\"reporter\":\"destination\"")
        text.raw(",\"source\":")
        text.string(source)
        text.raw(",\"destination\":")
        text.string(destination)
        text.raw(",\"version\":")
        text.string(version)
        if let endpoint {
            text.raw(",\"endpoint\":")
            text.string(endpoint)
        }
        namesText = Array(text.bytes)
    }

    /// Writes every waiting line now.
    func flush() {
        if let timer {
            timers.cancel(timer)
            self.timer = nil
        }
        guard buffer.count > 0 else { return }
        output(buffer.bytes)
        buffer.clear()
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` of now (UTC).
    private func appendTime() {
        let milliseconds = wallClock() / 1_000_000
        if milliseconds != millisecond {
            if milliseconds / 1000 != millisecond / 1000 || timeText.isEmpty {
                timeText = Array(CertificateInfo.rfc3339(milliseconds / 1000).utf8.dropLast()) + Array(".000Z".utf8)
            }
            millisecond = milliseconds
            var rest = milliseconds % 1000
            for index in stride(from: timeText.count - 2, through: timeText.count - 4, by: -1) {
                timeText[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
        }
        buffer.raw(timeText)
    }
}
