import MeshTopology
import MeshYAML
import Testing

/// Large and hostile topology files: validation is iterative and about linear, each problem
/// is reported once, and the printed list is capped. Failure messages name the case and
/// counts, never the generated input.
@Suite struct ScaleTests {
    static let header = "kind: Topology\nname: big\nmesh: {mtls: disabled}\nservices:\n"

    static func load(_ text: String) -> Result<Topology, TopologyErrors> {
        Topology.load(text: text, file: "big.yaml")
    }

    static func diagnostics(_ text: String) -> [Diagnostic] {
        guard case .failure(let errors) = load(text) else { return [] }
        return errors.diagnostics
    }

    /// A chain s0 → s1 → … → s19999: the cycle check walked it recursively and overflowed
    /// the stack (SIGSEGV).
    @Test func chainOfTwentyThousandServicesValidates() throws {
        let count = 20_000
        var text = Self.header
        for index in 0..<count {
            text += index + 1 < count ? "  s\(index): {calls: [s\(index + 1)]}\n" : "  s\(index): {}\n"
        }
        guard case .success(let topology) = Self.load(text) else {
            Issue.record("the 20,000-service chain did not validate: \(Self.diagnostics(text).count) diagnostics")
            return
        }
        #expect(topology.services.count == count)
    }

    /// The same chain closed into a ring: one cycle, reported once, in a line of bounded length.
    @Test func ringOfTwentyThousandServicesIsOneShortDiagnostic() {
        let count = 20_000
        var text = Self.header
        for index in 0..<count { text += "  s\(index): {calls: [s\((index + 1) % count)]}\n" }
        let found = Self.diagnostics(text)
        #expect(found.count == 1)
        #expect(found.first?.message.hasSuffix("(20000 services)") == true)
        #expect((found.first?.message.count ?? .max) < 300)
        #expect(found.first?.line == 4 + count)
    }

    /// 2,000 services each calling the next five: one group with a huge number of cycles
    /// (one report per cycle closed made 100 MB of errors); one diagnostic for the group.
    @Test func denseGroupIsReportedOnce() {
        let count = 2_000
        var text = Self.header
        for index in 0..<count {
            let callees = (1...5).map { "s\((index + $0) % count)" }.joined(separator: ", ")
            text += "  s\(index): {calls: [\(callees)]}\n"
        }
        let found = Self.diagnostics(text)
        #expect(found.count == 1)
        #expect(found.first?.message.hasSuffix("(2000 services)") == true)
    }

    /// A chain whose every service also calls the first: a cycle closes at every service
    /// (one report each, each naming the path so far, was quadratic: hundreds of MB).
    @Test func cycleClosedAtEveryServiceIsReportedOnce() {
        let count = 6_000
        var text = Self.header
        for index in 0..<count { text += index + 1 < count ? "  s\(index): {calls: [s\(index + 1), s0]}\n" : "  s\(index): {calls: [s0]}\n" }
        let found = Self.diagnostics(text)
        #expect(found.count == 1)
        #expect(found.first?.message.hasSuffix("(6000 services)") == true)
    }

    /// Separate groups are reported one each.
    @Test func eachGroupOnce() {
        var text = Self.header
        for index in 0..<1_000 { text += "  a\(index): {calls: [b\(index)]}\n  b\(index): {calls: [a\(index)]}\n" }
        let found = Self.diagnostics(text)
        #expect(found.count == 1_000)
        #expect(found.allSatisfy { $0.message.hasPrefix("call cycle: a") })
    }

    /// 5,000 calls to distinct unknown names among 5,000 services: each gets its diagnostic,
    /// the first 100 their suggestion (only 50 are printed); what is printed is the first 50
    /// and one line with the rest counted.
    @Test func manyUnknownNamesAreCappedWhenPrinted() throws {
        let count = 5_000
        var text = Self.header
        for index in 0..<count { text += "  s\(index): {calls: [t\(index)]}\n" }
        guard case .failure(let errors) = Self.load(text) else {
            Issue.record("5,000 unknown callees accepted")
            return
        }
        #expect(errors.diagnostics.count == count)
        #expect(errors.diagnostics.first?.message == "calls: unknown service 't0' (did you mean 's0'?)")
        #expect(errors.diagnostics.last?.message == "calls: unknown service 't4999'")
        #expect(errors.diagnostics.filter { $0.message.contains("(did you mean 's") }.count == 100)
        let lines = errors.description.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == TopologyErrors.shownLimit + 1)
        #expect(lines.last == "… and 4950 more errors (the first 50 are shown)")
    }

    /// A list of unknown names anchored once and aliased by a thousand services: each
    /// unknown name is one mistake at one place, reported once (not once per alias).
    @Test func aliasesDoNotMultiplyDiagnostics() {
        let unknown = (0..<90).map { "unknown-\($0)" }.joined(separator: ", ")
        var text = Self.header + "  s0: {calls: &u [\(unknown)]}\n"
        for index in 1..<1_000 { text += "  s\(index): {calls: *u}\n" }
        let found = Self.diagnostics(text)
        #expect(found.count == 90)
        #expect(Set(found.map(\.line)) == [5])
    }

    @Test func oversizedTextIsOneError() {
        let text = Self.header + "  web: {}\n" + String(repeating: "#", count: Topology.maximumFileSize)
        let found = Self.diagnostics(text)
        #expect(found.map(\.locatedMessage) == ["1:1: \(Topology.tooLargeMessage)"])
    }

    /// Deep nesting is refused by the YAML reader with a clear error at its place, not a crash.
    @Test(arguments: ["flow", "block"])
    func deepNestingIsAClearError(shape: String) {
        let text = shape == "flow"
            ? Self.header + "  web: " + String(repeating: "[", count: 100_000)
            : Self.header + (0..<1_000).map { String(repeating: " ", count: 2 + $0) + "k\($0):" }.joined(separator: "\n")
        let found = Self.diagnostics(text)
        #expect(found.count == 1)
        #expect(found.first?.message.contains("nested too deeply") == true)
    }
}
