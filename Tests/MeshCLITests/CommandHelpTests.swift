import Foundation
@testable import MeshCLI
import Testing

/// Every command answers `--help`, and its help names exactly the flags its parser accepts
/// (asked of the parser itself, so help and parser cannot drift apart).
@Suite struct CommandHelpTests {
    /// The flags `command`'s parser asks about, from the help request it throws.
    static func acceptedFlags(_ command: String) throws -> [String] {
        do {
            _ = try CommandLineTool.dispatch(command, ["--help"])
        } catch {
            return try #require(error.helpFlags, "\(command): \(error.message)")
        }
        Issue.record("\(command) --help did not ask for help")
        return []
    }

    @Test(arguments: CommandHelp.all.map(\.name))
    func helpNamesEveryFlagTheParserAccepts(command: String) throws {
        let help = try #require(CommandHelp.named(command))
        let accepted = try Self.acceptedFlags(command)
        let documented = help.flags.map(\.name)
        #expect(Set(accepted) == Set(documented), "\(command): parser \(accepted.sorted()), help \(documented.sorted())")
        let text = help.text
        for flag in accepted {
            let mentioned = text.contains(flag)
            #expect(mentioned, "\(command): \(flag)")
        }
        let usage = text.hasPrefix("usage: meshbed \(command)"), example = text.contains("example")
        #expect(usage && example, "\(command)")
        for example in help.examples { #expect(example.hasPrefix("meshbed \(command)"), "\(example)") }
        let exits = text.contains("exit: ")
        #expect(exits, "\(command)")
    }

    @Test func helpWinsOverOtherMistakesAndComesAfterDoubleDash() throws {
        #expect(try Self.acceptedFlags("up").contains("--detach"))
        do {
            _ = try CommandLineTool.dispatch("up", ["--detatch", "-h"])
            Issue.record("no help")
        } catch {
            #expect(error.helpFlags != nil)
        }
        // After `--`, a `--help` belongs to the app exec-app starts.
        var scanner = ArgumentScanner(["--dir", "/", "--", "app", "--help"], command: "exec-app")
        _ = try scanner.option("--dir")
        #expect(scanner.positionals() == ["app", "--help"])
        #expect(throws: Never.self) { try scanner.finish() }
    }

    @Test func globalHelpListsEveryUserCommandAligned() throws {
        let text = CommandHelp.global
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let commandLines = lines.drop { $0 != "commands:" }.dropFirst().prefix { !$0.isEmpty }
        let names = commandLines.map { String($0.dropFirst(2).prefix { $0 != " " }) }
        #expect(names == CommandHelp.all.filter { !$0.isInternal }.map(\.name))
        // Aligned: every summary starts in the same column.
        let columns = Set(commandLines.map { line in line.dropFirst(2).drop { $0 != " " }.prefix { $0 == " " }.count + line.dropFirst(2).prefix { $0 != " " }.count })
        #expect(columns.count == 1, "\(commandLines)")
        // Every command it lists exists.
        for name in names {
            do {
                _ = try CommandLineTool.dispatch(name, ["--help"])
            } catch {
                #expect(error.helpFlags != nil, "\(name): \(error.message)")
            }
        }
        #expect(text.contains("docs/cli.md"))
    }

    /// docs/cli.md documents every command and every flag its help names, and names no
    /// command that does not exist.
    @Test func cliReferenceCoversEveryCommandAndFlag() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        let text = try String(contentsOf: root.appendingPathComponent("docs/cli.md"), encoding: .utf8)
        for help in CommandHelp.all {
            let section = try #require(Self.section(of: help.name, in: text), "docs/cli.md has no '## meshbed \(help.name)'")
            for flag in help.flags { #expect(section.contains(flag.name), "docs/cli.md, meshbed \(help.name): \(flag.name)") }
        }
        let headings = text.split(separator: "\n").filter { $0.hasPrefix("## meshbed ") }.map { String($0.dropFirst("## meshbed ".count)) }
        for name in headings {
            #expect(CommandHelp.named(name) != nil, "docs/cli.md documents 'meshbed \(name)', which does not exist")
        }
    }

    /// The text from `## meshbed NAME` to the next `## `.
    static func section(of name: String, in text: String) -> String? {
        guard let start = text.range(of: "\n## meshbed \(name)\n") else { return nil }
        let rest = text[start.upperBound...]
        let end = rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }
}
