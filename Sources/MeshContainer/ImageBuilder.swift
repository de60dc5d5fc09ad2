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

    /// The build file: every file copied to where it was found, meshbed as the entry point,
    /// labelled with the identity of the binary it holds (`identity(of:)`).
    public static func containerfile(binary: String = "/usr/bin/meshbed", identity: String = "") -> String {
        """
        # Made by `meshbed image build`: the meshbed binary and the shared libraries ldd lists for it.
        FROM scratch
        COPY root/ /
        ENTRYPOINT ["\(binary)"]
        LABEL io.meshbed.image="meshbed" \(identityLabel)="\(identity)"

        """
    }

    /// The label naming the binary an image holds.
    public static let identityLabel = "io.meshbed.binary"

    /// The tools the control plane's container runs to put packet filters into the pods'
    /// namespaces (`ip netns exec NS iptables-restore`), where this machine has them: their
    /// path in the image and on this machine. iptables' extensions come along (`xtablesDirectory`).
    static func tools() -> [(image: String, host: String)] {
        ["ip", "iptables-restore"].compactMap { name in
            Posix.findExecutable(name, in: ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]).map { ("/usr/sbin/" + name, $0) }
        }
    }

    /// Where iptables loads its match and target extensions from (`statistic`, `comment`).
    static let xtablesDirectories = ["/usr/lib/x86_64-linux-gnu/xtables", "/usr/lib/aarch64-linux-gnu/xtables", "/usr/lib/xtables",
                                     "/usr/lib64/xtables"]

    /// `SIZE-MTIME` of `binary`: which build an image holds, so `up --runtime container`
    /// rebuilds an image made from another.
    public static func identity(of binary: String) -> String {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: binary) else { return "" }
        let size = (attributes[.size] as? any BinaryInteger).map { Int64($0) } ?? 0
        let modified = (attributes[.modificationDate] as? Date).map { Int64($0.timeIntervalSince1970 * 1_000_000) } ?? 0
        return "\(size)-\(modified)"
    }

    /// Builds `tag` from `binary` unless it exists and holds that binary already; what was
    /// built, or nil when the image was current.
    public static func ensure(engine: ContainerEngine, binary: String, tag: String = defaultTag) throws(ContainerError) -> Built? {
        let format = "{{index .Config.Labels \"\(identityLabel)\"}}"
        if let held = try? engine.run(["image", "inspect", "--format", format, tag], timeout: 30),
           trimmed(Substring(held)) == identity(of: binary) {
            return nil
        }
        return try build(engine: engine, binary: binary, tag: tag)
    }

    /// Builds `tag` with `engine` from `binary` (this process's own by default).
    public static func build(engine: ContainerEngine, binary: String, tag: String = defaultTag) throws(ContainerError) -> Built {
        let started = Posix.monotonicNanoseconds()
        let ldd = try lddOutput(binary)
        let tools = tools()
        var libraries = try libraries(fromLDD: ldd)
        for tool in tools {
            for library in try Self.libraries(fromLDD: try lddOutput(tool.host)) where !libraries.contains(library) {
                libraries.append(library)
            }
        }
        let context = FileManager.default.temporaryDirectory.path + "/meshbed-image-\(Posix.processID())-\(started)"
        defer { try? FileManager.default.removeItem(atPath: context) }
        do {
            var files = [(binary, "/usr/bin/meshbed")] + tools.map { ($0.host, $0.image) } + libraries.map { ($0, $0) }
            if !tools.isEmpty, let xtables = xtablesDirectories.first(where: { FileManager.default.fileExists(atPath: $0) }) {
                for name in try FileManager.default.contentsOfDirectory(atPath: xtables).sorted() where name.hasSuffix(".so") {
                    files.append((xtables + "/" + name, xtables + "/" + name))
                }
            }
            for (source, target) in files {
                let destination = context + "/root" + target
                try FileManager.default.createDirectory(atPath: String(destination[..<destination.lastIndex(of: "/")!]),
                                                        withIntermediateDirectories: true)
                // The file itself, not a symbolic link to it (`libssl.so.3` is often one).
                let resolved = try FileManager.default.destinationOfSymbolicLinkIfAny(source)
                try FileManager.default.copyItem(atPath: resolved, toPath: destination)
            }
            try Data(containerfile(identity: identity(of: binary)).utf8).write(to: URL(fileURLWithPath: context + "/Containerfile"))
        } catch {
            throw ContainerError("cannot assemble the image's files in \(context): \(error)")
        }
        let previous = try? engine.run(["image", "inspect", "--format", "{{.Id}}", tag], timeout: 30)
        _ = try engine.run(["build", "--quiet", "-t", tag, "-f", context + "/Containerfile", context], timeout: 300)
        let facts = trimmed(Substring(try engine.run(["image", "inspect", "--format", "{{.Id}} {{.Size}}", tag]))).split(separator: " ")
        guard facts.count == 2, let bytes = Int(facts[1]) else {
            throw ContainerError("\(engine.kind.rawValue) image inspect \(tag): expected its id and size, got '\(facts.joined(separator: " "))'")
        }
        // The image the tag named before, now nameless: gone unless a container still runs it.
        if let previous = previous.map({ String(trimmed(Substring($0))) }), !previous.isEmpty, previous != String(facts[0]) {
            _ = try? engine.run(["rmi", previous], timeout: 60)
        }
        return Built(tag: tag, id: String(facts[0]), files: ["/usr/bin/meshbed"] + tools.map(\.image) + libraries, bytes: bytes,
                     nanoseconds: Posix.monotonicNanoseconds() - started)
    }
}

extension ImageBuilder {
    /// What `ldd` says of `binary`.
    static func lddOutput(_ binary: String) throws(ContainerError) -> String {
        let result: CommandResult
        do {
            result = try Posix.runCommand("ldd", [binary], environment: ["PATH=/usr/bin:/bin", "LC_ALL=C"], timeoutNanoseconds: 30_000_000_000)
        } catch {
            throw ContainerError("cannot run ldd: \(error)")
        }
        guard result.succeeded else { throw ContainerError(result.failure("ldd \(binary)")) }
        return result.output
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
