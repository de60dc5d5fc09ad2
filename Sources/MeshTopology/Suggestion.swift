/// "Did you mean" suggestions: the closest allowed word by edit distance.
public enum Suggestion {
    /// The candidate closest to `word` (case-insensitively) within an edit distance of 2
    /// (1 for words of up to 3 characters); ties go to the earlier candidate.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let lowered = Array(word.lowercased().unicodeScalars)
        let limit = limit(for: lowered.count)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates where candidate != word {
            let other = Array(candidate.lowercased().unicodeScalars)
            guard abs(other.count - lowered.count) <= limit else { continue }
            let distance = editDistance(lowered, other, limit: limit)
            if distance <= limit, distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// ` (did you mean 'x'?)`, or an empty string when nothing is close.
    public static func hint(for word: String, among candidates: [String]) -> String {
        closest(to: word, among: candidates).map(text(for:)) ?? ""
    }

    /// ` (did you mean 'x'?)`.
    static func text(for suggestion: String) -> String { " (did you mean '\(suggestion)'?)" }

    /// The largest distance suggested for a word of `length` scalars.
    static func limit(for length: Int) -> Int { length <= 3 ? 1 : 2 }

    /// Edit distance counting insertions, deletions, substitutions and swaps of two
    /// neighbours (`stauts` → `status`) as 1 each (optimal string alignment).
    public static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        editDistance(a, b, limit: .max)
    }

    /// The edit distance when it is at most `limit`, otherwise some value above `limit`
    /// (the walk stops once every alignment costs more).
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var beforePrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
                rowMinimum = min(rowMinimum, current[j])
            }
            // A swap reaches back two rows, so stop only when both rows are over the limit.
            if rowMinimum > limit, previous.min()! > limit { return rowMinimum }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[b.count]
    }
}
