import MeshYAML
import Testing

/// The reader never traps or hangs: pathological shapes and seeded random mutations of
/// valid documents either read or fail with an error, each within a deadline.
@Suite struct YAMLRobustnessTests {
    /// SplitMix64: deterministic, so a failure names a reproducible iteration.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let corpus: [String] = [
        """
        # a topology
        name: demo
        services:
          - name: web
            port: 8080
            env: {MODE: prod, DEBUG: "false"}
            routes: [/a, /b]
          - &api
            name: api
            replicas: 3
            script: |
              echo hi
              exit 0
        defaults: &d {timeout: 1s}
        more:
          <<: *d
          note: >-
            folded
            text
        """,
        "--- !!map\n? a\n: b\n--- [1, 'x''y', \"\\u00e9\\n\"]\n...\n%YAML 1.2\n---\n- - a\n  - b: c\n",
        "{a: [b, {c: d}], 'e': \"f\", ? g : h, i: *j}\n",
        "- |+\n  keep\n\n- >2-\n   x\n  y\n- 'multi\n  line'\n- plain\n  continued\n",
    ]

    static let fragments: [String] = [
        "-", " ", "\n", "\t", ":", "? ", "[", "]", "{", "}", ",", "#", "&a", "*a", "!!str", "!", "|", ">",
        "'", "\"", "\\", "---", "...", "%YAML 1.2\n", "<<: ", "- ", ": ", "\\u", "|2-", "\r\n", "\u{FEFF}", "é",
    ]

    static func mutate(_ input: String, _ rng: inout SplitMix64) -> String {
        var s = Array(input.unicodeScalars)
        for _ in 0..<Int.random(in: 1...5, using: &rng) {
            let at = s.isEmpty ? 0 : Int.random(in: 0..<s.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !s.isEmpty:
                s.remove(at: at)
            case 1:
                s.insert(contentsOf: fragments[Int.random(in: 0..<fragments.count, using: &rng)].unicodeScalars, at: at)
            case 2 where !s.isEmpty:
                s[at] = Unicode.Scalar(UInt8.random(in: 9...126, using: &rng))
            case 3 where !s.isEmpty:
                let end = min(s.count, at + Int.random(in: 1...12, using: &rng))
                s.insert(contentsOf: s[at..<end], at: at)
            case 4:
                s.removeSubrange(at..<min(s.count, at + Int.random(in: 1...30, using: &rng)))
            default:
                s.insert(Unicode.Scalar(UInt8.random(in: 0...127, using: &rng)), at: at)
            }
        }
        var out = ""
        out.unicodeScalars.append(contentsOf: s)
        return out
    }

    @Test func seededMutationsNeverTrapOrHang() {
        let finished = Watchdog.run(seconds: 120) { () -> Int in
            var rng = SplitMix64(state: 0x6D65_7368_6265_6421)
            var parsed = 0
            for _ in 0..<20_000 {
                let input = Self.mutate(Self.corpus[Int.random(in: 0..<Self.corpus.count, using: &rng)], &rng)
                if (try? YAMLParser.parse(input)) != nil { parsed += 1 }
            }
            return parsed
        }
        #expect(finished != nil, "the mutation run did not finish within 120 s")
        // Some mutations stay valid, most do not.
        #expect((finished ?? 0) > 0)
    }

    /// Pathological inputs by name (tests take the names, so a test's output never carries
    /// the megabytes of input).
    static let pathological: [(name: String, input: @Sendable () -> String)] = [
        ("open flow sequences", { String(repeating: "[", count: 100_000) }),
        ("open flow mappings", { String(repeating: "{a: ", count: 100_000) }),
        ("block sequence on one line", { String(repeating: "- ", count: 100_000) + "x" }),
        ("explicit keys", { String(repeating: "? ", count: 100_000) }),
        ("empty keys", { String(repeating: ": ", count: 100_000) }),
        ("anchors", { String(repeating: "&a ", count: 100_000) }),
        ("long plain scalar", { String(repeating: "word ", count: 200_000) }),
        ("long key", { String(repeating: "k", count: 200_000) + ": v" }),
        ("unterminated quote", { "\"" + String(repeating: "x\n ", count: 100_000) }),
        ("many documents", { String(repeating: "--- a\n", count: 20_000) }),
        ("many keys", { (0..<20_000).map { "key\($0): value" }.joined(separator: "\n") }),
        ("long flow sequence", { "[" + String(repeating: "a,\n ", count: 100_000) + "]" }),
        ("empty lines", { String(repeating: "   \n", count: 100_000) + "k: |\n" + String(repeating: "\n", count: 100_000) + "  x\n" }),
    ]

    @Test(arguments: pathological.map(\.name))
    func pathologicalInputFinishes(name: String) throws {
        let yaml = try #require(Self.pathological.first { $0.name == name }).input()
        // A hang guard, generous for a loaded 2-core machine (a debug build under load).
        let outcome = Watchdog.run(seconds: 30) { () -> String in
            do {
                return "read \(try YAMLParser.parse(yaml).count) documents"
            } catch {
                return "\(error)"
            }
        }
        #expect(outcome != nil, "\(name): no result within 30 s")
    }
}
