import MeshCore
import Testing

/// The standard-library-only `log` and `exp` against known values and each other.
@Suite struct MeshMathTests {
    static func close(_ a: Double, _ b: Double, relative: Double = 1e-13) -> Bool {
        abs(a - b) <= relative * max(abs(a), abs(b), 1e-300)
    }

    @Test func logOfKnownValues() {
        #expect(MeshMath.log(1) == 0)
        #expect(Self.close(MeshMath.log(2), 0.693_147_180_559_945_3))
        #expect(Self.close(MeshMath.log(10), 2.302_585_092_994_046))
        #expect(Self.close(MeshMath.log(0.5), -0.693_147_180_559_945_3))
        #expect(Self.close(MeshMath.log(1e-300), -690.775_527_898_213_7))
        #expect(Self.close(MeshMath.log(1.999_999), 0.693_146_680_559_820_3))
        #expect(MeshMath.log(0) == -.infinity)
        #expect(MeshMath.log(-1).isNaN)
    }

    @Test func expOfKnownValues() {
        #expect(MeshMath.exp(0) == 1)
        #expect(Self.close(MeshMath.exp(1), 2.718_281_828_459_045))
        #expect(Self.close(MeshMath.exp(-1), 0.367_879_441_171_442_33))
        #expect(Self.close(MeshMath.exp(700), 1.014_232_054_735_004_4e304))
        #expect(Self.close(MeshMath.exp(-700), 9.859_676_543_759_770_6e-305, relative: 1e-12))
        #expect(MeshMath.exp(1000) == .infinity)
        #expect(MeshMath.exp(-1000) == 0)
    }

    @Test func expUndoesLog() {
        var x = 1e-6
        while x < 1e6 {
            #expect(Self.close(MeshMath.exp(MeshMath.log(x)), x, relative: 1e-12))
            x *= 1.37
        }
        #expect(Self.close(MeshMath.pow(2, 10), 1024, relative: 1e-12))
        #expect(Self.close(MeshMath.pow(9, 0.5), 3, relative: 1e-12))
    }
}
