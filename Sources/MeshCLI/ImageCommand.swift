import MeshContainer
import MeshIO

/// `meshbed image build [--engine podman|docker] [--tag T]`: builds the image the container
/// runtime runs, `FROM scratch` with this binary and its shared libraries. Exit 0 built,
/// 1 the engine failed, 2 bad input.
enum ImageCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        var scanner = ArgumentScanner(arguments, command: "image")
        let engineName = try scanner.option("--engine")
        let tag = try scanner.option("--tag") ?? ImageBuilder.defaultTag
        let words = scanner.positionals()
        try scanner.finish()
        guard words == ["build"] else {
            throw UsageError(words.isEmpty ? "image: expected 'build'" : "image: unknown subcommand '\(words.joined(separator: " "))' (expected 'build')")
        }
        let kind = try engineName.map { name throws(UsageError) in
            guard let kind = ContainerEngine.Kind(rawValue: name) else { throw UsageError("--engine: expected podman or docker, got '\(name)'") }
            return kind
        }
        guard !tag.isEmpty, !tag.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) else {
            throw UsageError("--tag: expected an image name like localhost/meshbed:latest, got '\(tag)'")
        }
        guard let binary = Posix.executablePath() else {
            CommandLineTool.printError("meshbed: image build: cannot find the meshbed executable (/proc/self/exe)")
            return 1
        }
        do {
            let engine = try ContainerEngine.find(kind)
            let built = try ImageBuilder.build(engine: engine, binary: binary, tag: tag)
            let megabytes = Double(built.bytes) / 1_000_000
            let seconds = Double(built.nanoseconds) / 1e9
            Posix.writeAll(1, Array("""
                image \(built.tag) built with \(engine.kind.rawValue): \(built.files.count) files, \(String(format1: megabytes)) MB, in \(String(format1: seconds)) s
                  id \(built.id.prefix(19))

                """.utf8))
            return 0
        } catch {
            CommandLineTool.printError("meshbed: image build: \(error.message)")
            return 1
        }
    }
}

extension String {
    /// `value` with one decimal, `65.3`.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
