import FoundationEssentials

/// Why a file operation of FileManager or Data failed, in the system's words for the errno
/// underneath ("Permission denied", "Not a directory"); other errors as they describe
/// themselves. (FoundationEssentials has no `localizedDescription`, and meshbed links no more
/// of Foundation than FoundationEssentials.)
public enum FileErrorReason {
    public static func of(_ error: any Error) -> String {
        let cause = (error as? CocoaError)?.underlying ?? error
        if let posix = cause as? POSIXError { return IOError(code: posix.code.rawValue, function: "").reason }
        return String(describing: cause)
    }
}
