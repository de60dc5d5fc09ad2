import Foundation
import MeshTopology

/// Reads topology files for `up` and `validate`: the file's text, parsed and validated,
/// with every mistake as `FILE:LINE:COLUMN: message`.
public enum TopologyLoader {
    /// The topology in `path`, or every diagnostic (one line each) when it is unreadable or invalid.
    public static func load(_ path: String) -> Result<Topology, TopologyErrors> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(problem(path, "cannot read: no such file"))
        }
        guard !isDirectory.boolValue else { return .failure(problem(path, "cannot read: is a directory")) }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(problem(path, "cannot read: permission denied"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(problem(path, "not UTF-8 text"))
        }
        return Topology.load(text: text, file: path)
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
