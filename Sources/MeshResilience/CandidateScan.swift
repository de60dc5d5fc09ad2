/// The candidate set every balancer picks from, walked in place so a pick allocates nothing.
///
/// A candidate is an index in `0..<count` that is `eligible` and not `avoiding`; when no such
/// index exists, the avoided eligible indices are candidates after all ("never the same
/// endpoint twice when another exists"). No eligible index means no candidate.
///
/// Random choices first try `sample`: a few uniform draws over all indices, kept when the
/// index is a candidate (rejection sampling; exactly uniform over the candidates, and only
/// a couple of `eligible` calls when most endpoints are healthy). When those draws miss,
/// the exact scan (`init`, `indices`) counts the candidates and draws among them. Each way
/// is uniform and which way is taken does not depend on the draw's result, so the choice
/// stays uniform.
struct CandidateScan {
    /// Draws tried by `sample` before the exact scan.
    static let sampleTries = 4

    /// An index drawn uniformly among the `eligible`, not `avoiding` indices of `0..<count`
    /// other than `excluding`, by up to `sampleTries` draws of `random`; -1 when they miss.
    static func sample<R: RandomNumberGenerator>(
        count: Int, excluding: Int, using random: inout R, eligible: (Int) -> Bool, avoiding: (Int) -> Bool
    ) -> Int {
        guard count > 0 else { return -1 }
        for _ in 0..<sampleTries {
            let index = uniform(below: count, using: &random)
            if index != excluding, eligible(index), !avoiding(index) { return index }
        }
        return -1
    }

    /// Two distinct candidates drawn uniformly (the second -1 when there is only one), or
    /// (-1, -1) when there is none: power of two choices without replacement.
    static func pair<R: RandomNumberGenerator>(
        count: Int, using random: inout R, eligible: (Int) -> Bool, avoiding: (Int) -> Bool
    ) -> (Int, Int) {
        // One endpoint: no second candidate to look for.
        if count == 1 { return eligible(0) ? (0, -1) : (-1, -1) }
        let first = sample(count: count, excluding: -1, using: &random, eligible: eligible, avoiding: avoiding)
        if first >= 0 {
            let second = sample(count: count, excluding: first, using: &random, eligible: eligible, avoiding: avoiding)
            if second >= 0 { return (first, second) }
        }
        let scan = CandidateScan(count: count, eligible: eligible, avoiding: avoiding)
        guard scan.size > 0 else { return (-1, -1) }
        let (a, b) = scan.twoRanks(using: &random)
        return scan.indices(ranked: a, b, count: count, eligible: eligible, avoiding: avoiding)
    }

    /// One candidate drawn uniformly, or -1 when there is none.
    static func one<R: RandomNumberGenerator>(
        count: Int, using random: inout R, eligible: (Int) -> Bool, avoiding: (Int) -> Bool
    ) -> Int {
        let quick = sample(count: count, excluding: -1, using: &random, eligible: eligible, avoiding: avoiding)
        if quick >= 0 { return quick }
        let scan = CandidateScan(count: count, eligible: eligible, avoiding: avoiding)
        guard scan.size > 0 else { return -1 }
        let rank = uniform(below: scan.size, using: &random)
        return scan.indices(ranked: rank, -1, count: count, eligible: eligible, avoiding: avoiding).0
    }

    /// The number of candidates.
    let size: Int
    /// Whether `avoiding` excludes indices (false when only avoided indices are eligible).
    let honoursAvoid: Bool

    /// Counts the candidates among `0..<count`.
    init(count: Int, eligible: (Int) -> Bool, avoiding: (Int) -> Bool) {
        var preferred = 0
        var fallback = 0
        for index in 0..<Swift.max(count, 0) where eligible(index) {
            if avoiding(index) { fallback += 1 } else { preferred += 1 }
        }
        if preferred > 0 {
            size = preferred
            honoursAvoid = true
        } else {
            size = fallback
            honoursAvoid = false
        }
    }

    /// Whether `index` is a candidate.
    func contains(_ index: Int, eligible: (Int) -> Bool, avoiding: (Int) -> Bool) -> Bool {
        eligible(index) && !(honoursAvoid && avoiding(index))
    }

    /// The indices of the candidates ranked `first` and `second` (in index order) among
    /// `0..<count`; `second` is -1 when not wanted.
    func indices(ranked first: Int, _ second: Int, count: Int, eligible: (Int) -> Bool, avoiding: (Int) -> Bool)
        -> (Int, Int)
    {
        var rank = 0
        var a = -1
        var b = -1
        for index in 0..<count where contains(index, eligible: eligible, avoiding: avoiding) {
            if rank == first { a = index }
            if rank == second { b = index }
            if a >= 0, b >= 0 || second < 0 { break }
            rank += 1
        }
        return (a, b)
    }

    /// Two distinct ranks drawn uniformly among the candidates (the second is -1 when there
    /// is only one candidate): power of two choices without replacement. Consumes two values
    /// of `random`, none when there is only one candidate.
    func twoRanks<R: RandomNumberGenerator>(using random: inout R) -> (Int, Int) {
        guard size > 1 else { return (0, -1) }
        let first = Self.uniform(below: size, using: &random)
        var second = Self.uniform(below: size - 1, using: &random)
        if second >= first { second += 1 }
        return (first, second)
    }

    /// A value drawn uniformly from `0..<bound` (`bound` > 0) with one value of `random`,
    /// by multiply-high.
    static func uniform<R: RandomNumberGenerator>(below bound: Int, using random: inout R) -> Int {
        Int(truncatingIfNeeded: random.next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}
