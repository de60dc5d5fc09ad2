import FoundationEssentials
import MeshScenario

/// `meshbed test DIR [--junit F] [--json F] [--state-dir DIR]`: runs every `kind: Scenario`
/// file under DIR (recursively, in path order), each isolated in its own state directory
/// with its own ports, and reports them together. Exits as `run` does.
enum TestCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "test")
        let options = try RunCommand.ScenarioOptions.scan(&scanner)
        let directories = scanner.positionals()
        try scanner.finish()
        guard let directory = directories.first else { throw UsageError("test: missing DIR (meshbed test DIR [--junit F])") }
        guard directories.count == 1 else { throw UsageError("test: expected one DIR, got \(directories.count)") }
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory else {
            throw UsageError("test: '\(directory)' is not a directory")
        }
        let files = scenarioFiles(under: directory)
        guard !files.isEmpty else { throw UsageError("test: no 'kind: Scenario' files under \(directory)") }
        return RunCommand.execute(files, options)
    }

    /// The `.yaml`/`.yml` files under `directory` whose top-level `kind` is `Scenario`, sorted.
    static func scenarioFiles(under directory: String) -> [String] {
        let root = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let entries = (try? FileManager.default.subpathsOfDirectory(atPath: root)) ?? []
        return entries.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { root + "/" + $0 }.filter { path in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
            return Scenario.isScenario(text: text)
        }
    }
}
