import MeshTopology
import Testing

/// `OrderedMap`, `BandwidthRate`, `AppSpec` helpers.
@Suite struct SupportTypeTests {
    @Test func orderedMapKeepsOrder() {
        let map: OrderedMap<Int> = ["b": 2, "a": 1, "c": 3]
        #expect(map.keys == ["b", "a", "c"])
        #expect(map.values == [2, 1, 3])
        #expect(map["a"] == 1 && map["z"] == nil)
        #expect(map.map(\.key) == ["b", "a", "c"])
        #expect(map != ["a": 1, "b": 2, "c": 3])
        #expect(map == OrderedMap([("b", 2), ("a", 1), ("c", 3)]))
        #expect(map.description == "[b: 2, a: 1, c: 3]")
        #expect(OrderedMap<Int>().isEmpty && map.count == 3 && map.contains("c"))
    }

    @Test(arguments: [
        ("64KB/s", 64_000), ("64kB/s", 64_000), ("1.5MB/s", 1_500_000), ("512B/s", 512), ("64KiB/s", 65_536),
        ("1GiB/s", 1_073_741_824), ("0.5KB/s", 500), ("2GB/s", 2_000_000_000),
    ])
    func bandwidthRates(text: String, bytes: Int) {
        #expect(BandwidthRate(text)?.bytesPerSecond == bytes)
    }

    @Test(arguments: ["64KB", "64 KB/s", "KB/s", "0KB/s", "0.5B/s", "1.KB/s", ".5KB/s", "64kb/s", "-1KB/s", "1e3B/s", "64KB/s/s", ""])
    func badBandwidthRates(text: String) {
        #expect(BandwidthRate(text) == nil)
    }

    @Test func bandwidthDescriptionIsExact() {
        #expect(BandwidthRate(bytesPerSecond: 64_000).description == "64KB/s")
        #expect(BandwidthRate(bytesPerSecond: 65_536).description == "64KiB/s")
        #expect(BandwidthRate(bytesPerSecond: 1_500).description == "1500B/s")
        #expect(BandwidthRate(bytesPerSecond: 3_000_000).description == "3MB/s")
    }

    @Test func appSpecSubstitutesEveryPortPlaceholder() {
        let app = AppSpec(command: ["srv", "--listen=:{port}", "--admin={port}1"], env: ["URL": "http://127.0.0.1:{port}/"])
        #expect(app.arguments(port: 80) == ["srv", "--listen=:80", "--admin=801"])
        #expect(app.environment(port: 80) == ["URL": "http://127.0.0.1:80/"])
    }
}
