@testable import MeshTopology
import Testing

/// The indexed, cached suggester gives exactly what the plain scan (`Suggestion.closest`) gives.
@Suite struct NameSuggesterTests {
    static let names = (0..<300).map { "svc-\($0)" } + ["ratings", "reviews", "details", "productpage", "a", "ab", "abc", "Ratings"]
        + [String(repeating: "long", count: 30), String(repeating: "long", count: 30) + "x"]

    @Test func indexedLookupAgreesWithTheScan() {
        #expect(Self.names.count >= NameSuggester.indexThreshold)
        let suggester = NameSuggester(Self.names)
        let words = ["svc-12", "svc12", "scv-12", "svc-1234", "svc-299", "vsc-299", "ratngs", "reveiws", "detials", "Ratings",
                     "RATINGS", "xyz", "b", "ba", "abcd", "productpaeg", String(repeating: "long", count: 30) + "xy",
                     String(repeating: "long", count: 29), "totally-different", ""]
        var mismatches: [String] = []
        for word in words + words {  // twice: the second lookup is cached
            let expected = Suggestion.closest(to: word, among: Self.names)
            let found = suggester.closest(to: word)
            if found != expected { mismatches.append("\(word.prefix(20)): \(found ?? "nil") instead of \(expected ?? "nil")") }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test func boundedDistanceAgreesWithTheFullOne() {
        let pairs = [("status", "stauts"), ("abcdef", "badcfe"), ("kitten", "sitting"), ("a", "xyz"), ("", "ab"), ("flaw", "lawn")]
        for (a, b) in pairs {
            let (x, y) = (Array(a.unicodeScalars), Array(b.unicodeScalars))
            let full = Suggestion.editDistance(x, y)
            let bounded = Suggestion.editDistance(x, y, limit: 2)
            #expect(full <= 2 ? bounded == full : bounded > 2, "\(a) \(b)")
        }
    }
}
