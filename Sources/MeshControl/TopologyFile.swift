import FoundationEssentials
import MeshTopology

/// Reads topology files from disk (the reader of `meshbed control --topology FILE`).
public enum TopologyFile {
    /// Reads and validates the topology at `path`; diagnostics name the file as `path`.
    public static func load(path: String) -> Result<Topology, TopologyFileError> {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(.unreadable(path: path, reason: "no such file"))
        }
        guard !isDirectory else {
            return .failure(.unreadable(path: path, reason: "is a directory, expected a topology file"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(.unreadable(path: path, reason: "cannot be read"))
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            return .failure(.unreadable(path: path, reason: "is not UTF-8 text"))
        }
        return Topology.load(text: text, file: path).mapError { .invalid($0) }
    }
}
