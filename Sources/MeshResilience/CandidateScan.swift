/// The candidate set every balancer picks from, walked in place so a pick allocates nothing.
///
/// A candidate is an index in `0..<count` that is `eligible` and not `avoiding`; when no such
/// index exists, the avoided eligible indices are candidates after all ("never the same
/// endpoint twice when another exists"). No eligible index means no candidate.
struct CandidateScan {
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
