import Foundation
import MeshIO
import Testing

/// File errors of FileManager and Data described in the system's words (FoundationEssentials
/// has no `localizedDescription`).
@Suite struct FileErrorReasonTests {
    @Test func underlyingErrnoIsNamed() throws {
        let directory = NSTemporaryDirectory() + "meshbed-file-error-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/plain"
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        let underFile = #expect(throws: (any Error).self) {
            try FileManager.default.createDirectory(atPath: file + "/sub", withIntermediateDirectories: true)
        }
        #expect(underFile.map(FileErrorReason.of) == "Not a directory")
        let missing = #expect(throws: (any Error).self) { _ = try Data(contentsOf: URL(fileURLWithPath: directory + "/missing")) }
        #expect(missing.map(FileErrorReason.of) == "No such file or directory")
    }

    @Test func otherErrorsDescribeThemselves() {
        struct Odd: Error, CustomStringConvertible { var description: String { "odd" } }
        #expect(FileErrorReason.of(Odd()) == "odd")
    }
}
