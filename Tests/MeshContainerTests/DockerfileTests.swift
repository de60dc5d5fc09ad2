import Foundation
@testable import MeshContainer
import Testing

/// docker/Dockerfile's shape (no registry here to build it with): a build stage on the Swift
/// image with everything SwiftPM loads, a slim run stage with meshbed's runtime libraries,
/// and the same entry point as `meshbed image build`'s image.
@Suite struct DockerfileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The file's instructions: continuation lines joined, comments left out.
    static func instructions() throws -> [String] {
        let text = try String(contentsOfFile: root + "/docker/Dockerfile", encoding: .utf8)
        return text.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    @Test func twoStagesBuildThenRunOnASlimBase() throws {
        let lines = try Self.instructions()
        let stages = lines.filter { $0.hasPrefix("FROM ") }
        #expect(stages.count == 2 && stages[0].hasPrefix("FROM swift:") && stages[0].hasSuffix(" AS build")
                    && stages[1] == "FROM debian:bookworm-slim", "\(stages)")
        // Everything the package's manifest names, so SwiftPM can load it.
        for folder in ["Package.swift ./", "Sources ./Sources", "Tests ./Tests"] {
            #expect(lines.contains("COPY \(folder)"), "COPY \(folder)")
        }
        #expect(lines.contains { $0.contains("swift build -c release --static-swift-stdlib --product meshbed") })
        let run = try #require(lines.firstIndex(of: stages[1]))
        let runStage = lines[run...].joined(separator: "\n")
        #expect(runStage.contains("libssl3") && runStage.contains("iproute2") && runStage.contains("iptables"))
        #expect(runStage.contains("COPY --from=build /out/ /"))
        #expect(ImageBuilder.containerfile().contains(try #require(lines.last { $0.hasPrefix("ENTRYPOINT ") }) + "\n"))
    }

    @Test func theBuildContextLeavesBuildOutputOut() throws {
        let ignored = try String(contentsOfFile: Self.root + "/.dockerignore", encoding: .utf8).split(separator: "\n")
        #expect(ignored.contains(".build") && ignored.contains(".git"))
    }
}
