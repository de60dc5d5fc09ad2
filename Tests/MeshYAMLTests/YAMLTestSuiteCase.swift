import Foundation

/// One case of the yaml-test-suite (its `data` branch): a folder, or a numbered sub-folder,
/// holding `in.yaml` and what is expected of it.
struct YAMLTestSuiteCase: Sendable {
    /// The folder name, with the sub-folder for numbered sub-cases: `2G84/02`.
    var id: String
    /// The `===` file.
    var title: String
    var yaml: String
    /// `in.json`, absent when the data is not representable as JSON.
    var json: String?
    /// `test.event`: the expected parse events.
    var events: String?
    /// An `error` file is present: the input must be rejected.
    var mustFail: Bool

    /// Where the suite is read from: `$MESHBED_YAML_TEST_SUITE`, else
    /// `<repo>/../shared/testdata/yaml-test-suite` (found from this file's path).
    static let location: String = {
        if let path = ProcessInfo.processInfo.environment["MESHBED_YAML_TEST_SUITE"], !path.isEmpty {
            return path
        }
        let repo = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // MeshYAMLTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // the repository
        return repo.deletingLastPathComponent().appendingPathComponent("shared/testdata/yaml-test-suite").path
    }()

    /// Whether the suite is there.
    static var isPresent: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: location, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Whether `$MESHBED_YAML_TEST_SUITE` names the suite (`.ci/run` does): then it must be there.
    static var isNamed: Bool {
        !(ProcessInfo.processInfo.environment["MESHBED_YAML_TEST_SUITE"] ?? "").isEmpty
    }

    /// Left out, with a note: nothing names the suite and it is not beside the repository (a
    /// fresh clone without `../shared`). Named but missing fails instead.
    static var isSkipped: Bool { !isNamed && !isPresent }

    /// The message of the failure when the named suite is missing.
    static var missingMessage: String {
        "yaml-test-suite not found at \(location), where MESHBED_YAML_TEST_SUITE points"
    }

    /// Every case, sorted by id.
    static func all() throws -> [YAMLTestSuiteCase] {
        let fm = FileManager.default
        var cases: [YAMLTestSuiteCase] = []
        for name in try fm.contentsOfDirectory(atPath: location).sorted() {
            let folder = location + "/" + name
            if fm.fileExists(atPath: folder + "/in.yaml") {
                cases.append(try load(id: name, folder: folder))
            } else if let subfolders = try? fm.contentsOfDirectory(atPath: folder) {
                for sub in subfolders.sorted() where fm.fileExists(atPath: folder + "/" + sub + "/in.yaml") {
                    cases.append(try load(id: name + "/" + sub, folder: folder + "/" + sub))
                }
            }
        }
        return cases
    }

    private static func load(id: String, folder: String) throws -> YAMLTestSuiteCase {
        func read(_ file: String) -> String? {
            FileManager.default.contents(atPath: folder + "/" + file).map { String(decoding: $0, as: UTF8.self) }
        }
        guard let yaml = read("in.yaml") else { throw CocoaError(.fileReadNoSuchFile) }
        return YAMLTestSuiteCase(
            id: id,
            title: (read("===") ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
            yaml: yaml,
            json: read("in.json"),
            events: read("test.event"),
            mustFail: FileManager.default.fileExists(atPath: folder + "/error"))
    }
}
