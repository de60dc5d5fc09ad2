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

    /// `count` distinct names of 50 to 63 letters (pseudo-random, the same every run).
    static func longNames(_ count: Int) -> [String] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var names: [String] = []
        var seen = Set<String>()
        while names.count < count {
            var scalars = String.UnicodeScalarView()
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            for _ in 0..<(50 + Int((state >> 33) % 14)) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                scalars.append(Unicode.Scalar(UInt8(ascii: "a") + UInt8((state >> 33) % 26)))
            }
            let name = String(scalars)
            if seen.insert(name).inserted { names.append(name) }
        }
        return names
    }

    /// Every 100th of `names` one, two and three edits away (digits: names have none),
    /// and words close to nothing.
    static func probes(_ names: [String]) -> [String] {
        var words: [String] = []
        for (i, name) in names.enumerated() where i % 100 == 0 {
            var scalars = Array(name.unicodeScalars)
            scalars[5] = "0"
            words.append(String(String.UnicodeScalarView(scalars)))  // one changed
            scalars.remove(at: 10)
            words.append(String(String.UnicodeScalarView(scalars)))  // and one deleted: two
            scalars[20] = "1"
            words.append(String(String.UnicodeScalarView(scalars)))  // three: nothing close
        }
        return words + [String(repeating: "q", count: 63), "ratings", ""]
    }

    /// 1,500 names of 50 to 63 letters have about 2.4 M variants, above the budget: no
    /// index is built, and the scan by length gives the plain scan's answers.
    @Test func aListBeyondTheBudgetIsScannedWithTheSameAnswers() {
        let names = Self.longNames(1_500)
        let suggester = NameSuggester(names)
        #expect(!suggester.usesIndex)
        let words = Self.probes(names)
        var agreeing = 0
        var suggested = 0
        for word in words {
            let expected = Suggestion.closest(to: word, among: names)
            if suggester.closest(to: word) == expected { agreeing += 1 }
            if expected != nil { suggested += 1 }
        }
        #expect(agreeing == words.count, "\(words.count - agreeing) of \(words.count) differ")
        #expect(suggested == 2 * names.count / 100, "one and two edits away have a suggestion, three and more none")
        #expect(suggester.indexedVariants == 0)
    }

    /// Below the budget the index is used, and holds at most the budget's variants.
    @Test func aListWithinTheBudgetIsIndexed() {
        let names = Self.longNames(200)
        let suggester = NameSuggester(names)
        #expect(suggester.usesIndex)
        let words = Self.probes(names)
        let agreeing = words.filter { suggester.closest(to: $0) == Suggestion.closest(to: $0, among: names) }.count
        #expect(agreeing == words.count, "\(words.count - agreeing) of \(words.count) differ")
        #expect(suggester.indexedVariants > 0 && suggester.indexedVariants <= NameSuggester.variantBudget)
    }

    /// Hints are looked up for the first `hintLimit` distinct names only; a name looked up
    /// already keeps its hint.
    @Test func hintsStopAfterTheLimit() {
        let suggester = NameSuggester(Self.names)
        let words = (0..<150).map { "svc-\($0)x" }  // each one insertion away from svc-N
        let hinted = words.filter { !suggester.hint(for: $0).isEmpty }.count
        #expect(hinted == NameSuggester.hintLimit)
        #expect(suggester.hint(for: words[0]) == " (did you mean 'svc-0'?)")
        #expect(suggester.hint(for: words[149]) == "")
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
