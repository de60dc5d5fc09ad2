import MeshIO

/// Where the tests find OpenTelemetry's message definitions for Python (`opentelemetry-proto`
/// from PyPI, with its `protobuf`), to read meshbed's OTLP/JSON with them
/// (`fixtures/otlp.py`). `.ci/run` installs them into `.build/otel-python` and names the
/// directory in `MESHBED_OTEL_PYTHON`; with the variable set, a missing copy fails the tests
/// instead of skipping them.
public enum OTelPython {
    /// The repository's top directory.
    public static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Sources/MeshTestSupport/OTelPython.swift
        return parts.joined(separator: "/")
    }()

    /// The script that parses and receives OTLP/JSON.
    public static var script: String { root + "/fixtures/otlp.py" }

    /// Whether `.ci/run` asked for the package (then it must be there).
    public static var required: Bool { !(Posix.environment("MESHBED_OTEL_PYTHON") ?? "").isEmpty }

    /// The directory the package is installed in (for `PYTHONPATH`), if it is.
    public static var directory: String? {
        let named = Posix.environment("MESHBED_OTEL_PYTHON").flatMap { $0.isEmpty ? nil : $0 }
        let directory = named ?? root + "/.build/otel-python"
        return Posix.fileExists(directory + "/opentelemetry/proto/collector/trace/v1/trace_service_pb2.py") ? directory : nil
    }

    /// Whether the tests that need it run: installed, or required (and then failing).
    public static var enabled: Bool { directory != nil || required }
}
