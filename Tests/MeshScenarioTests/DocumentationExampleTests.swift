import Foundation
import MeshScenario
import MeshTopology
import Testing

/// The reference in `docs/` carries examples that work: every ```yaml block marked
/// `<!-- example: FILE.yaml -->` is written to FILE.yaml (beside the other examples of its
/// page, so a scenario finds its topology) and must pass the real validator. A topology
/// example of a feature that is read but not enforced yet is marked
/// `<!-- example, not supported yet: FILE.yaml -->`: loading it must fail with nothing but
/// "not supported yet" refusals (so the model finds no mistake in it), and once the feature
/// is enforced this test says to mark it as a plain example.
@Suite struct DocumentationExampleTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs").standardized.path

    static let marker = "<!-- example: "
    static let refusedMarker = "<!-- example, not supported yet: "

    /// The marked examples of `page`: file name, text and whether it is marked as refused, in order.
    static func examples(in page: String) throws -> [(file: String, text: String, refused: Bool)] {
        let text = try String(contentsOfFile: docs + "/" + page, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var examples: [(file: String, text: String, refused: Bool)] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            let refused = line.hasPrefix(refusedMarker)
            if line.hasPrefix(marker) || refused, line.hasSuffix(" -->") {
                let file = String(line.dropFirst((refused ? refusedMarker : marker).count).dropLast(" -->".count))
                #expect(index + 1 < lines.count && lines[index + 1] == "```yaml", "\(page): the example \(file) must be a ```yaml block")
                var body: [String] = []
                index += 2
                while index < lines.count && lines[index] != "```" {
                    body.append(lines[index])
                    index += 1
                }
                examples.append((file, body.joined(separator: "\n") + "\n", refused))
            }
            index += 1
        }
        return examples
    }

    @Test(arguments: ["topology.md", "scenarios.md"])
    func everyMarkedExampleIsValid(page: String) throws {
        let examples = try Self.examples(in: page)
        #expect(examples.count >= 2, "\(page) has \(examples.count) marked examples")
        #expect(Set(examples.map(\.file)).count == examples.count, "\(page): example file names repeat")
        let directory = NSTemporaryDirectory() + "meshbed-docs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for example in examples {
            try Data(example.text.utf8).write(to: URL(fileURLWithPath: directory + "/" + example.file))
        }
        for example in examples where example.refused {
            let path = directory + "/" + example.file
            #expect(!Scenario.isScenario(text: example.text), "\(page), example \(example.file): only topology examples may be marked as refused")
            switch Topology.load(text: example.text, file: path) {
            case .success:
                Issue.record("\(page), example \(example.file) loads now: mark it '\(Self.marker)\(example.file) -->' and say it is supported")
            case .failure(let errors):
                let others = errors.diagnostics.filter { !$0.message.contains("not supported yet") }
                #expect(others.isEmpty, "\(page), example \(example.file): \(TopologyErrors(others).description)")
            }
        }
        for example in examples where !example.refused {
            let path = directory + "/" + example.file
            let errors: TopologyErrors?
            if Scenario.isScenario(text: example.text) {
                if case .failure(let failure) = Scenario.load(path: path) { errors = failure } else { errors = nil }
            } else {
                if case .failure(let failure) = Topology.load(text: example.text, file: path) { errors = failure } else { errors = nil }
            }
            #expect(errors == nil, "\(page), example \(example.file): \(errors.map { $0.description } ?? "")")
        }
    }

    /// Every ```yaml block of the two file-format pages is a checked example.
    @Test(arguments: ["topology.md", "scenarios.md"])
    func everyYAMLBlockIsAMarkedExample(page: String) throws {
        let text = try String(contentsOfFile: Self.docs + "/" + page, encoding: .utf8)
        let blocks = text.components(separatedBy: "```yaml").count - 1
        #expect(blocks == (try Self.examples(in: page)).count, "\(page): \(blocks) yaml blocks")
    }

    /// The key tables of topology.md say "not supported yet" of exactly the keys the validator
    /// refuses: each sample (one key set, the rest minimal) is loaded, and the key's row in its
    /// table must carry the words when, and only when, loading refuses the sample with them.
    @Test(arguments: [
        ("Top-level keys", "authorization", "mesh: {mtls: strict}\nauthorization: {web: {allow: [ingress]}}"),
        ("Top-level keys", "faults", "faults: [{kind: abort, to: web, status: 503, percent: 50}]"),
        ("`mesh`", "mtls", "mesh: {mtls: strict}"),
        ("`mesh`", "mtls", "mesh: {mtls: permissive}"),
        ("`mesh`", "trustDomain", "mesh: {trustDomain: example.org}"),
        ("`mesh`", "certTTL", "mesh: {certTTL: 20s}"),
        ("`mesh`", "ca", "mesh: {ca: {cert: ca/root-cert.pem, key: ca/root-key.pem}}"),
    ])
    func keyTablesSayWhatIsRefused(table: String, key: String, sample: String) throws {
        let text = try String(contentsOfFile: Self.docs + "/topology.md", encoding: .utf8)
        let heading = try #require(text.range(of: "\n## \(table)\n"), "topology.md has no '## \(table)'")
        let section = text[heading.upperBound...]
        let end = section.range(of: "\n## ")?.lowerBound ?? section.endIndex
        let row = try #require(section[..<end].split(separator: "\n").first { $0.hasPrefix("| `\(key)` |") },
                               "topology.md, \(table): no row for `\(key)`")
        let yaml = "kind: Topology\nname: sample\nservices:\n  web: {}\n\(sample)\n"
        let refused: Bool
        switch Topology.load(text: yaml, file: NSTemporaryDirectory() + "sample.yaml") {
        case .success:
            refused = false
        case .failure(let errors):
            let others = errors.diagnostics.filter { !$0.message.contains("not supported yet") }
            #expect(others.isEmpty, "sample for \(key): \(TopologyErrors(others).description)")
            refused = others.count < errors.diagnostics.count
        }
        #expect(row.contains("not supported yet") == refused,
                "topology.md, \(table), `\(key)`: the validator \(refused ? "refuses" : "accepts") '\(sample)'")
    }

    /// README's scenario example is valid against the bookinfo topology it names.
    @Test func readmeScenarioIsValid() throws {
        let repository = URL(fileURLWithPath: Self.docs).deletingLastPathComponent().path
        let readme = try String(contentsOfFile: repository + "/README.md", encoding: .utf8)
        let blocks = readme.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        #expect(blocks.count == 1, "README has \(blocks.count) yaml blocks")
        let directory = NSTemporaryDirectory() + "meshbed-readme-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.copyItem(atPath: repository + "/topologies/bookinfo.yaml", toPath: directory + "/bookinfo.yaml")
        for (index, block) in blocks.enumerated() {
            let path = directory + "/readme-\(index).yaml"
            try Data(block.utf8).write(to: URL(fileURLWithPath: path))
            #expect(Scenario.isScenario(text: block), "README block \(index) is not a scenario")
            if case .failure(let errors) = Scenario.load(path: path) {
                Issue.record("README block \(index): \(errors.description)")
            }
        }
    }
}
