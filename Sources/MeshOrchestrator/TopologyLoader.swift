import FoundationEssentials
import MeshIO
import MeshTopology

/// Reads topology files for `up` and `validate`: the file's text, parsed and validated,
/// with every mistake as `FILE:LINE:COLUMN: message`.
public enum TopologyLoader {
    /// The topology in `path`, or every diagnostic (one line each) when it is unreadable or invalid.
    public static func load(_ path: String) -> Result<Topology, TopologyErrors> {
        readText(path).flatMap { Topology.load(text: $0, file: path) }
    }

    /// The text of a topology or scenario file, or the one diagnostic saying why it cannot be
    /// read: `cannot read: ...`, `not UTF-8 text`, or too large (more than
    /// `Topology.maximumFileSize` bytes; no more than that is read).
    public static func readText(_ path: String) -> Result<String, TopologyErrors> {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(problem(path, "cannot read: no such file"))
        }
        guard !isDirectory else { return .failure(problem(path, "cannot read: is a directory")) }
        let data: [UInt8]
        do throws(IOError) {
            data = try Posix.readFile(path, limit: Topology.maximumFileSize + 1)
        } catch where error.function == "open" {
            return .failure(problem(path, "cannot read: permission denied"))
        } catch {
            return .failure(problem(path, "cannot read: \(error.reason)"))
        }
        guard data.count <= Topology.maximumFileSize else {
            return .failure(problem(path, Topology.tooLargeMessage))
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            return .failure(problem(path, "not UTF-8 text"))
        }
        return .success(text)
    }

    /// Checks every file in `paths`: a line per valid file on standard output, every
    /// diagnostic on standard error. Returns 0 when all are valid, 2 otherwise.
    public static func validate(_ paths: [String]) -> Int32 {
        var valid = true
        for path in paths {
            switch load(path) {
            case .success(let topology):
                let instances = topology.instances.count
                Console.out("\(path): valid topology '\(topology.name)' (\(topology.services.count) service\(topology.services.count == 1 ? "" : "s"), \(instances) instance\(instances == 1 ? "" : "s"))")
            case .failure(let errors):
                valid = false
                Console.error(errors.description)
            }
        }
        return valid ? 0 : 2
    }

    private static func problem(_ path: String, _ message: String) -> TopologyErrors {
        TopologyErrors([Diagnostic(file: path, line: 1, column: 1, message: message)])
    }
}
