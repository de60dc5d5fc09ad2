/// "Did you mean" over one fixed list of names (the services of a topology), for files that
/// mention many unknown names: each distinct name is looked up once (cached), and a long
/// list is searched through an index of its names with up to two characters deleted
/// (symmetric deletion), so a lookup does not compare against every name.
///
/// The index is built only while its variants stay within `variantBudget` (a list of many
/// long names would need gigabytes); beyond it, a lookup scans the names of about the right
/// length. Either way `closest` gives exactly `Suggestion.closest(to:among:)` (same
/// distance, same tie-break). `hint` answers only for the first `hintLimit` distinct names:
/// only the first 50 errors are printed.
public final class NameSuggester {
    /// Below this many names a plain scan is cheaper than building the index.
    static let indexThreshold = 64
    /// Names longer than this (not valid names, but still candidates) stay out of the index
    /// (their deletions would be too many) and are found by length instead.
    static let indexedLength = 80
    /// At most this many variants (0, 1 and 2 deletions of every name, counted before
    /// duplicates go) are indexed; a longer list is scanned by length.
    static let variantBudget = 2_000_000
    /// `hint` looks up at most this many distinct names; later ones get no hint.
    static let hintLimit = 100

    let candidates: [String]
    private let lowered: [[Unicode.Scalar]]
    private var cache: [String: String?] = [:]
    /// Every candidate with 0, 1 or 2 scalars deleted → the candidates (indexes) it comes
    /// from, by number of deletions (built on the first lookup in a long list).
    private var deletions: [[String: [Int]]]?
    /// The candidates longer than `indexedLength` (every candidate, without an index), by length.
    private var longByLength: [Int: [Int]] = [:]
    /// Whether lookups go through the deletion index (the list is long, and its variants
    /// fit `variantBudget`).
    let usesIndex: Bool

    /// A suggester over `candidates` (the index, if any, is built on the first lookup).
    public init(_ candidates: [String]) {
        self.candidates = candidates
        self.lowered = candidates.map { Array($0.lowercased().unicodeScalars) }
        var variants = 0
        for scalars in lowered where scalars.count <= Self.indexedLength {
            let length = scalars.count
            variants += 1 + length + length * (length - 1) / 2
        }
        usesIndex = candidates.count >= Self.indexThreshold && variants <= Self.variantBudget
        for (offset, scalars) in lowered.enumerated() where !usesIndex || scalars.count > Self.indexedLength {
            longByLength[scalars.count, default: []].append(offset)
        }
    }

    /// ` (did you mean 'x'?)`, or an empty string when nothing is close or `hintLimit`
    /// other names were looked up already.
    public func hint(for word: String) -> String {
        if cache[word] == nil, cache.count >= Self.hintLimit { return "" }
        return closest(to: word).map(Suggestion.text(for:)) ?? ""
    }

    /// The number of variants in the deletion index (0 until it is built, or without one).
    var indexedVariants: Int {
        deletions?.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } ?? 0
    }

    /// The closest candidate, as `Suggestion.closest(to:among:)` finds it.
    func closest(to word: String) -> String? {
        if let cached = cache[word] { return cached }
        let found = search(word)
        cache[word] = found
        return found
    }

    private func search(_ word: String) -> String? {
        let target = Array(word.lowercased().unicodeScalars)
        let limit = Suggestion.limit(for: target.count)
        guard candidates.count >= Self.indexThreshold else {
            return best(Array(candidates.indices), word: word, target: target, limit: limit)
        }
        guard usesIndex else {
            let near = (max(0, target.count - limit)...(target.count + limit)).flatMap { longByLength[$0] ?? [] }
            return best(near.sorted(), word: word, target: target, limit: limit)
        }
        // Distance 1 first: only names sharing a variant with at most one deletion on each
        // side can be that close, and if one is, no name at distance 2 can win.
        for deleted in 1...limit {
            var found = Set<Int>()
            if target.count <= Self.indexedLength + limit {
                let index = deletions ?? buildIndex()
                for variant in Self.variants(target, deleting: deleted) {
                    for level in 0...deleted { found.formUnion(index[level][variant] ?? []) }
                }
            }
            for length in (target.count - deleted)...(target.count + deleted) {
                found.formUnion(longByLength[length] ?? [])
            }
            if let name = best(found.sorted(), word: word, target: target, limit: deleted) { return name }
        }
        return nil
    }

    /// The closest of `indexes` (in order: ties go to the earlier) within `limit`.
    private func best(_ indexes: [Int], word: String, target: [Unicode.Scalar], limit: Int) -> String? {
        var best: (index: Int, distance: Int)?
        for index in indexes where candidates[index] != word {
            let other = lowered[index]
            guard abs(other.count - target.count) <= limit else { continue }
            let distance = Suggestion.editDistance(target, other, limit: limit)
            if distance <= limit, distance < (best?.distance ?? .max) {
                best = (index, distance)
            }
        }
        return best.map { candidates[$0.index] }
    }

    /// Per number of deletions (0, 1, 2): each variant → the candidates (indexes) it comes from.
    private func buildIndex() -> [[String: [Int]]] {
        var index = [[String: [Int]]](repeating: [:], count: 3)
        for (offset, scalars) in lowered.enumerated() where scalars.count <= Self.indexedLength {
            for (level, variants) in Self.variantsByDeletions(scalars).enumerated() {
                for variant in variants { index[level][variant, default: []].append(offset) }
            }
        }
        deletions = index
        return index
    }

    /// The word with up to `deleting` scalars deleted (each variant once). Two words within an
    /// edit distance of d (swaps included) share a variant with at most d deletions on each
    /// side: each edit costs at most one deletion on each side.
    static func variants(_ scalars: [Unicode.Scalar], deleting: Int) -> Set<String> {
        variantsByDeletions(scalars).prefix(deleting + 1).reduce(into: Set<String>()) { $0.formUnion($1) }
    }

    /// The word itself, then with one scalar deleted... grouped: [[0 deleted], [1], [2]].
    static func variantsByDeletions(_ scalars: [Unicode.Scalar]) -> [Set<String>] {
        func string(_ view: some Sequence<Unicode.Scalar>) -> String {
            var text = String.UnicodeScalarView()
            text.append(contentsOf: view)
            return String(text)
        }
        var result: [Set<String>] = [[string(scalars)], [], []]
        for first in scalars.indices {
            var one = scalars
            one.remove(at: first)
            result[1].insert(string(one))
            for second in one.indices where second >= first {
                var two = one
                two.remove(at: second)
                result[2].insert(string(two))
            }
        }
        return result
    }
}
