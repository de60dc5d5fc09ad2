import MeshCore
import Testing

/// RFC 3339 text of Unix seconds, checked against Python's datetime for the same values.
@Suite struct UTCTimeTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (1_795_791_600, "2026-11-27T15:00:00Z"),
        (1_700_000_000, "2023-11-14T22:13:20Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
        (-1, "1969-12-31T23:59:59Z"),
    ])
    func formats(seconds: Int64, text: String) {
        #expect(UTCTime.rfc3339(seconds) == text)
    }
}
