/// A link throughput such as `64KB/s` (the `rate` of a bandwidth fault).
///
/// Units: `B`, `KB` (or `kB`), `MB`, `GB` are powers of 1000; `KiB`, `MiB`, `GiB` powers of
/// 1024; always followed by `/s`. The number may have a fraction (`1.5MB/s`) as long as the
/// rate is a whole number of bytes per second, greater than zero.
public struct BandwidthRate: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Bytes per second, at least 1.
    public let bytesPerSecond: Int

    public init(bytesPerSecond: Int) {
        precondition(bytesPerSecond > 0, "BandwidthRate: must be at least 1 byte per second")
        self.bytesPerSecond = bytesPerSecond
    }

    private static let units: [(suffix: String, bytes: Int)] = [
        ("B", 1), ("KB", 1_000), ("kB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000),
        ("KiB", 1_024), ("MiB", 1_048_576), ("GiB", 1_073_741_824),
    ]

    /// Parses `64KB/s`, `1.5MB/s`, `512B/s`; `nil` when malformed, zero or fractional in bytes.
    public init?(_ text: some StringProtocol) {
        guard text.hasSuffix("/s") else { return nil }
        let body = text.dropLast(2)
        guard let unitStart = body.firstIndex(where: { !($0.isASCII && ($0.isNumber || $0 == ".")) }),
              let unit = Self.units.first(where: { $0.suffix == body[unitStart...] })
        else { return nil }
        let number = body[..<unitStart]
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty, parts[0].count <= 12, let whole = Int(parts[0]) else { return nil }
        var bytes = whole * unit.bytes
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.count <= 9, let digits = Int(fraction) else { return nil }
            var scale = 1
            for _ in 0..<fraction.count { scale *= 10 }
            guard (digits * unit.bytes) % scale == 0 else { return nil }
            bytes += digits * unit.bytes / scale
        }
        guard bytes > 0, bytes <= 1 << 50 else { return nil }
        self.bytesPerSecond = bytes
    }

    /// The shortest exact form: `64KB/s`, `64KiB/s`, `1500B/s`.
    public var description: String {
        for (suffix, bytes) in [("GB", 1_000_000_000), ("GiB", 1_073_741_824), ("MB", 1_000_000), ("MiB", 1_048_576), ("KB", 1_000), ("KiB", 1_024)]
        where bytesPerSecond % bytes == 0 {
            return "\(bytesPerSecond / bytes)\(suffix)/s"
        }
        return "\(bytesPerSecond)B/s"
    }
}
