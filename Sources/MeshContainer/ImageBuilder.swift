import FoundationEssentials
import MeshIO

/// `meshbed image build`: the image every container of the container runtime runs, made
/// here without a registry: `FROM scratch` with the meshbed binary and the shared libraries
/// `ldd` lists for it (the C library and loader, libstdc++, libgcc_s, libm, OpenSSL), at
/// the paths the loader looks for them. No shell, no package manager: meshbed is the whole
/// image, as a distroless image would be.
public enum ImageBuilder {
    /// The tag `up --runtime container` uses unless told otherwise.
    public static let defaultTag = "localhost/meshbed:latest"

    /// What was built.
    public struct Built: Sendable, Equatable {
        public var tag: String
        public var id: String
        /// The files in it (the binary first).
        public var files: [String]
        /// Its size as the engine reports it.
        public var bytes: Int
        public var nanoseconds: UInt64
    }

    /// The libraries in `ldd`'s output for a binary: every absolute path after `=>`, and the
    /// loader (a line that is a path); `linux-vdso` and its kin have none. Throws on a
    /// library `ldd` could not find.
    public static func libraries(fromLDD output: String) throws(ContainerError) -> [String] {
        var paths: [String] = []
        for line in output.split(separator: "\n") {
            let text = trimmed(line)
            if text.contains("=> not found") { throw ContainerError("ldd: \(text)") }
            let path: Substring?
            if let arrow = text.firstRange(of: "=> ") {
                path = text[arrow.upperBound...].split(separator: " ").first
            } else {
                path = text.split(separator: " ").first
            }
            if let path, path.hasPrefix("/"), !paths.contains(String(path)) { paths.append(String(path)) }
        }
        return paths
    }

    /// `text` without blanks (spaces, tabs, line ends) at either end.
    static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }

    /// The build file: every file copied to where it was found, meshbed as the entry point.
    public static func containerfile(binary: String = "/usr/bin/meshbed") -> String {
        """
        # Made by `meshbed image build`: the meshbed binary and the shared libraries ldd lists for it.
        FROM scratch
        COPY root/ /
        ENTRYPOINT ["\(binary)"]
        LABEL io.meshbed.image="meshbed"

        """
    }

    /// Builds `tag` with `engine` from `binary` (this process's own by default).
    public static func build(engine: ContainerEngine, binary: String, tag: String = defaultTag) throws(ContainerError) -> Built {
        let started = Posix.monotonicNanoseconds()
        let ldd: String
        do {
            let result = try Posix.runCommand("ldd", [binary], environment: ["PATH=/usr/bin:/bin", "LC_ALL=C"],
                                              timeoutNanoseconds: 30_000_000_000)
            guard result.succeeded else { throw ContainerError(result.failure("ldd")) }
            ldd = result.output
        } catch let error as ContainerError {
            throw error
        } catch {
            throw ContainerError("cannot run ldd: \(error)")
        }
        let libraries = try libraries(fromLDD: ldd)
        let context = FileManager.default.temporaryDirectory.path + "/meshbed-image-\(Posix.processID())-\(started)"
        defer { try? FileManager.default.removeItem(atPath: context) }
        do {
            for (source, target) in [(binary, "/usr/bin/meshbed")] + libraries.map({ ($0, $0) }) {
                let destination = context + "/root" + target
                try FileManager.default.createDirectory(atPath: String(destination[..<destination.lastIndex(of: "/")!]),
                                                        withIntermediateDirectories: true)
                // The file itself, not a symbolic link to it (`libssl.so.3` is often one).
                let resolved = try FileManager.default.destinationOfSymbolicLinkIfAny(source)
                try FileManager.default.copyItem(atPath: resolved, toPath: destination)
            }
            try Data(containerfile().utf8).write(to: URL(fileURLWithPath: context + "/Containerfile"))
        } catch {
            throw ContainerError("cannot assemble the image's files in \(context): \(error)")
        }
        _ = try engine.run(["build", "--quiet", "-t", tag, "-f", context + "/Containerfile", context], timeout: 300)
        let facts = trimmed(Substring(try engine.run(["image", "inspect", "--format", "{{.Id}} {{.Size}}", tag]))).split(separator: " ")
        guard facts.count == 2, let bytes = Int(facts[1]) else {
            throw ContainerError("\(engine.kind.rawValue) image inspect \(tag): expected its id and size, got '\(facts.joined(separator: " "))'")
        }
        return Built(tag: tag, id: String(facts[0]), files: ["/usr/bin/meshbed"] + libraries, bytes: bytes,
                     nanoseconds: Posix.monotonicNanoseconds() - started)
    }
}

extension FileManager {
    /// `path` with every symbolic link along it followed (relative ones against their directory).
    func destinationOfSymbolicLinkIfAny(_ path: String) throws -> String {
        var current = path
        for _ in 0..<16 {
            guard let target = try? destinationOfSymbolicLink(atPath: current) else { return current }
            current = target.hasPrefix("/") ? target : String(current[..<current.lastIndex(of: "/")!]) + "/" + target
        }
        return current
    }
}
