import MeshCore
import MeshTopology

/// Why a topology file could not be loaded: it could not be read, or it is not a valid
/// topology (with every diagnostic).
public enum TopologyFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read (missing, a directory, not UTF-8, ...).
    case unreadable(path: String, reason: String)
    /// The file was read but is not a valid topology.
    case invalid(TopologyErrors)

    /// One line per problem: `PATH: reason`, or `FILE:LINE:COLUMN: message` per diagnostic.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return DisplayText.escaped("\(path): \(reason)")
        case .invalid(let errors): return errors.description
        }
    }
}
