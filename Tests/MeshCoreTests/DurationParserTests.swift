import MeshCore
import Testing

@Suite struct DurationParserTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)),
        ("2s", .seconds(2)),
        ("1m", .seconds(60)),
        ("24h", .seconds(86_400)),
        ("1.5s", .milliseconds(1_500)),
        ("100us", .microseconds(100)),
        ("100\u{B5}s", .microseconds(100)),
        ("100\u{3BC}s", .microseconds(100)),
        ("0s", .zero),
        ("0.0ms", .zero),
        ("7ns", .nanoseconds(7)),
        ("0.5ms", .microseconds(500)),
        ("1.234ms", .nanoseconds(1_234_000)),
        ("1.50s", .milliseconds(1_500)),
        ("007s", .seconds(7)),
        ("0.25h", .seconds(900)),
        ("0.000000001s", .nanoseconds(1)),
        ("1.5000000000000000000000s", .milliseconds(1_500)),
        ("0.0000000000025h", .nanoseconds(9)),
        ("9223372036854775807ns", .nanoseconds(Int64.max)),
        ("2562047h", .seconds(2_562_047 * 3_600)),
    ])
    func parsesValidText(text: String, expected: Duration) {
        #expect(Duration(meshbed: text) == expected)
    }

    @Test(arguments: [
        "", "s", "ms", "-5ms", "+5ms", "-0s", "5", "0", " 5ms", "5ms ", "5 ms", "\t1s",
        "5MS", "5S", "5sec", "5d", "5ks", "1.s", ".5s", "1..5s", "1.5.5s", "1,5s", "1e3ms",
        "0x10s", "1_000ms", "5m30s", "1s1s", "inf", "nans",
        // Not a whole number of nanoseconds.
        "1.5ns", "0.1ns", "1.0000000001s", "0.0000000000001h", "0.00000000000025h",
        // Overflow: above Int64.max nanoseconds.
        "9223372036854775808ns", "2562048h", "99999999999999999999999999999999999999999s",
    ])
    func rejectsInvalidText(text: String) {
        #expect(Duration(meshbed: text) == nil)
    }

    @Test func parsesSubstrings() {
        let text = "--timeout=250ms"
        let value = text[text.index(after: text.firstIndex(of: "=")!)...]
        #expect(Duration(meshbed: value) == .milliseconds(250))
    }

    @Test(arguments: [
        (Duration.zero, "0s"),
        (.nanoseconds(7), "7ns"),
        (.nanoseconds(999), "999ns"),
        (.microseconds(100), "100us"),
        (.nanoseconds(1_500), "1.5us"),
        (.milliseconds(250), "250ms"),
        (.nanoseconds(1_234_000), "1.234ms"),
        (.nanoseconds(1_234_567), "1.234567ms"),
        (.seconds(2), "2s"),
        (.milliseconds(1_500), "1.5s"),
        (.nanoseconds(1_000_000_001), "1.000000001s"),
        (.seconds(90), "90s"),
        (.seconds(60), "1m"),
        (.seconds(120), "2m"),
        (.seconds(3_600), "1h"),
        (.seconds(5_400), "90m"),
        (.seconds(86_400), "24h"),
        (.seconds(-2), "-2s"),
        (.milliseconds(-250), "-250ms"),
    ])
    func formatsExactly(duration: Duration, expected: String) {
        #expect(duration.meshbedDescription == expected)
    }

    @Test func descriptionRoundTrips() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<2_000 {
            // Mix magnitudes from nanoseconds to days.
            let bits = random.next() % 48
            let nanoseconds = Int64(random.next() >> (64 - bits))
            let duration = Duration.nanoseconds(nanoseconds)
            #expect(Duration(meshbed: duration.meshbedDescription) == duration)
        }
        let largest = Duration.nanoseconds(Int64.max)
        #expect(Duration(meshbed: largest.meshbedDescription) == largest)
    }

    @Test(arguments: [
        (Duration.nanoseconds(1_234_567), 3, "1.235ms"),
        (.nanoseconds(1_234_467), 3, "1.234ms"),
        (.nanoseconds(1_234_567), 0, "1ms"),
        (.nanoseconds(1_500), 0, "2us"),
        (.nanoseconds(12_500), 1, "12.5us"),
        (.nanoseconds(999_999_600), 3, "1s"),
        (.nanoseconds(999_999), 2, "1ms"),
        (.nanoseconds(999), 3, "999ns"),
        (.milliseconds(1_500), 3, "1.5s"),
        (.seconds(90), 3, "90s"),
        (.seconds(120), 3, "2m"),
        (.nanoseconds(2_000_000_000_400), 3, "2000s"),
        (.microseconds(-1_500), 0, "-2ms"),
    ])
    func formatsRounded(duration: Duration, digits: Int, expected: String) {
        #expect(duration.meshbedDescription(fractionDigits: digits) == expected)
    }

    @Test func convertsToSecondsAndNanoseconds() {
        #expect(Duration.milliseconds(1_500).meshbedSeconds == 1.5)
        #expect(Duration.zero.meshbedSeconds == 0)
        #expect(Duration.nanoseconds(1_234_567).meshbedNanoseconds == 1_234_567)
        #expect(Duration.seconds(-3).meshbedNanoseconds == -3_000_000_000)
        #expect(Duration.seconds(Int64.max).meshbedNanoseconds == Int64.max)
        #expect(Duration.seconds(Int64.min).meshbedNanoseconds == Int64.min)
    }
}
