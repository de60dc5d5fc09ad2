import MeshScenario
import Testing

/// The comparison language: operators, units, formatting of measured values.
@Suite struct ComparisonTests {
    @Test func parsesOperatorsAndUnits() {
        #expect(Comparison.parse(">= 99%") == Comparison(.greaterOrEqual, 99, unit: .percent))
        #expect(Comparison.parse("< 300ms") == Comparison(.less, 300_000_000, unit: .duration))
        #expect(Comparison.parse("== 0") == Comparison(.equal, 0, unit: .count))
        #expect(Comparison.parse("> 0") == Comparison(.greater, 0, unit: .count))
        #expect(Comparison.parse("<=2s") == Comparison(.lessOrEqual, 2_000_000_000, unit: .duration))
        #expect(Comparison.parse("!= 3") == Comparison(.notEqual, 3, unit: .count))
        #expect(Comparison.parse("  >  99.5% ") == Comparison(.greater, 99.5, unit: .percent))
    }

    @Test func rejectsWhatIsNotAComparison() {
        for text in ["99%", ">=", "> lots", "=> 3", "> 101%", "> -1", "= 3", ""] {
            #expect(Comparison.parse(text) == nil, "\(text)")
        }
    }

    @Test func holds() {
        let atLeast = Comparison.parse(">= 99%")!
        #expect(atLeast.holds(99))
        #expect(atLeast.holds(100))
        #expect(!atLeast.holds(98.9))
        #expect(Comparison.parse("== 0")!.holds(0))
        #expect(!Comparison.parse("== 0")!.holds(1))
        #expect(Comparison.parse("< 300ms")!.holds(299_999_999))
        #expect(!Comparison.parse("< 300ms")!.holds(300_000_000))
        #expect(Comparison.parse("!= 2")!.holds(3))
    }

    @Test func formatsInTheComparisonsUnit() {
        #expect(Comparison.parse(">= 99%")!.description == ">= 99%")
        #expect(Comparison.parse("< 300ms")!.description == "< 300ms")
        #expect(Comparison.parse("< 1.5s")!.description == "< 1.5s")
        #expect(Comparison.parse("> 0")!.format(42) == "42")
        #expect(Comparison.parse(">= 99%")!.format(99.456) == "99.46%")
        #expect(Comparison.parse("< 300ms")!.format(12_345_678) == "12.3ms")
        #expect(Comparison.parse("< 300ms")!.format(850_000) == "850us")
        #expect(Comparison.number(33.3333) == "33.33")
        #expect(Comparison.number(0.5) == "0.5")
    }
}
