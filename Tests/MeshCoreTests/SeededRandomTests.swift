import MeshCore
import Testing

@Suite struct SeededRandomTests {
    /// Reference outputs from the C implementations of SplitMix64 and xoshiro256**.
    @Test func matchesReferenceImplementation() {
        var zero = SeededRandom(seed: 0)
        #expect((0..<5).map { _ in zero.next() } == [
            0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0,
            0x6AA5_94F1_262D_2D2C, 0xBBA5_AD4A_1F84_2E59,
        ])
        var fortyTwo = SeededRandom(seed: 42)
        #expect((0..<5).map { _ in fortyTwo.next() } == [
            0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1,
            0xECB8_AD47_03B3_60A1, 0xFDE6_DC7F_E2EC_5E64,
        ])
    }

    @Test func sameSeedSameSequence() {
        var a = SeededRandom(seed: 12_345)
        var b = SeededRandom(seed: 12_345)
        for _ in 0..<1_000 { #expect(a.next() == b.next()) }
    }

    @Test func differentSeedsDiffer() {
        var a = SeededRandom(seed: 1)
        var b = SeededRandom(seed: 2)
        let first = (0..<16).map { _ in a.next() }
        let second = (0..<16).map { _ in b.next() }
        #expect(first != second)
        #expect(Set(first).isDisjoint(with: second))
    }

    @Test func copiesContinueIndependently() {
        var original = SeededRandom(seed: 9)
        _ = original.next()
        var copy = original
        #expect(original.next() == copy.next())
    }

    @Test func worksWithStandardLibraryRandomAPIs() {
        var a = SeededRandom(seed: 3)
        var b = SeededRandom(seed: 3)
        let values = (0..<100).map { _ in Int.random(in: 1...6, using: &a) }
        #expect(values == (0..<100).map { _ in Int.random(in: 1...6, using: &b) })
        #expect(values.allSatisfy { (1...6).contains($0) })
        #expect(Set(values).count == 6)
    }

    @Test func percentExtremes() {
        var random = SeededRandom(seed: 99)
        for _ in 0..<10_000 {
            #expect(random.percent(0) == false)
            #expect(random.percent(100) == true)
        }
    }

    @Test(arguments: [0.5, 1, 10, 25, 50, 90, 99.5])
    func percentFrequency(p: Double) {
        var random = SeededRandom(seed: 2_024)
        let trials = 100_000
        let hits = (0..<trials).count(where: { _ in random.percent(p) })
        let expected = Double(trials) * p / 100
        // Four standard deviations of a binomial: deterministic for this seed anyway.
        let tolerance = 4 * (expected * (1 - p / 100)).squareRoot() + 1
        #expect(abs(Double(hits) - expected) <= tolerance, "p=\(p): \(hits) hits")
    }

    @Test func percentConsumesOneValuePerCall() {
        var a = SeededRandom(seed: 5)
        var b = SeededRandom(seed: 5)
        _ = a.percent(0)
        _ = a.percent(100)
        _ = a.percent(37.5)
        _ = b.next()
        _ = b.next()
        _ = b.next()
        #expect(a.next() == b.next())
    }
}

@Suite struct SeededRandomPreconditionTests {
    @Test func percentOutsideZeroToHundredTraps() async {
        await #expect(processExitsWith: .failure) {
            var random = SeededRandom(seed: 1)
            _ = random.percent(100.5)
        }
        await #expect(processExitsWith: .failure) {
            var random = SeededRandom(seed: 1)
            _ = random.percent(.nan)
        }
    }
}
