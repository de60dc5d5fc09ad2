import FoundationEssentials

/// Reads the access lines the sidecars write to their logs (one JSON object per request,
/// `"kind":"access"`) for `meshbed logs`: picks them out of each log, merges them in time
/// order, and prints them one per line, readable or as the JSON they were.
public enum AccessLogReader {
    /// One access line, its sidecar (the log it came from) and its fields.
    public struct Entry: Sendable, Equatable {
        public var sidecar: String
        public var json: String
        public var line: Line
    }

    /// The fields of an access line that the readable form shows.
    public struct Line: Decodable, Sendable, Equatable {
        public var time: String
        public var kind: String
        public var reporter: String
        public var source: String
        public var destination: String
        public var version: String
        public var endpoint: String?
        public var method: String
        public var path: String
        public var status: Int
        public var flags: String
        public var durationMs: Double
        public var attempts: Int
        public var fault: String?
    }

    /// The access lines of `text` (a log, possibly ending in a partial line, which is left
    /// out), from `sidecar`; other lines (the sidecar's own messages) are skipped.
    public static func entries(_ text: Substring, sidecar: String) -> [Entry] {
        var result: [Entry] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) where line.hasPrefix("{") && line.contains("\"kind\":\"access\"") {
            guard let fields = try? JSONDecoder().decode(Line.self, from: Data(line.utf8)), fields.kind == "access" else { continue }
            result.append(Entry(sidecar: sidecar, json: String(line), line: fields))
        }
        return result
    }

    /// `logs` merged in time order (the times are RFC 3339 UTC with milliseconds, so their
    /// text sorts as they do); equal times keep the logs' order.
    public static func merged(_ logs: [[Entry]]) -> [Entry] {
        logs.enumerated().flatMap { index, entries in entries.enumerated().map { (index, $0.offset, $0.element) } }
            .sorted { ($0.2.line.time, $0.0, $0.1) < ($1.2.line.time, $1.0, $1.1) }
            .map(\.2)
    }

    /// One readable line: `TIME  SIDECAR  SOURCE -> DESTINATION/VERSION (ENDPOINT)  METHOD PATH  STATUS FLAGS  DURATION`,
    /// then the attempts when more than one and the faults that fired.
    public static func readable(_ entry: Entry) -> String {
        let line = entry.line
        let side = line.reporter == "destination" ? "in " : "out"
        var text = "\(line.time)  \(entry.sidecar) \(side)  \(line.source) -> \(line.destination)/\(line.version)"
        if let endpoint = line.endpoint, line.reporter == "source" { text += " (\(endpoint))" }
        text += "  \(line.method) \(line.path)  \(line.status) \(line.flags)  \(String(format: line.durationMs))ms"
        if line.attempts > 1 { text += "  attempts \(line.attempts)" }
        if let fault = line.fault { text += "  fault \(fault)" }
        return text
    }
}

private extension String {
    /// A duration in milliseconds with three decimals.
    init(format milliseconds: Double) {
        let micros = Int((milliseconds * 1000).rounded())
        let fraction = micros % 1000
        self = "\(micros / 1000)." + (fraction < 10 ? "00" : fraction < 100 ? "0" : "") + "\(fraction)"
    }
}
