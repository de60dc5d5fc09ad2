import Foundation
import Testing

/// The `openssl` command-line tool working in a scratch directory of its own (removed when the
/// value goes away): the real peer the suites check MeshTLS against.
final class OpenSSLTool {
    /// What one run printed.
    struct Output {
        var stdout: String
        var stderr: String
    }

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The path of `name` in the scratch directory.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes `bytes` to `name`; returns its path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: directory.appendingPathComponent(name))
        return path(name)
    }

    /// The bytes of `name`.
    func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// Runs `openssl ARGUMENTS` in the scratch directory and waits for it; throws (with the
    /// first line of its standard error) when it exits non-zero.
    @discardableResult
    func run(_ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = directory
        let errorsURL = directory.appendingPathComponent("stderr-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: errorsURL.path, contents: nil) else {
            throw OpenSSLFailure(arguments: "(scratch file)", status: -1, firstLine: "cannot create \(errorsURL.path)")
        }
        let errors = try FileHandle(forWritingTo: errorsURL)
        defer { try? errors.close() }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Standard error goes to a file, so reading standard output to its end cannot deadlock.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = String(decoding: (try? Data(contentsOf: errorsURL)) ?? Data(), as: UTF8.self)
        try? FileManager.default.removeItem(at: errorsURL)
        guard process.terminationStatus == 0 else {
            throw OpenSSLFailure(arguments: arguments.prefix(2).joined(separator: " "), status: process.terminationStatus,
                                 firstLine: String(stderr.split(separator: "\n").first ?? ""))
        }
        return Output(stdout: String(decoding: stdout, as: UTF8.self), stderr: stderr)
    }

    /// A fresh key made by `openssl` (`ec:P-256`, `ec:P-384`, `rsa:2048`), written to `name`.
    @discardableResult
    func key(_ name: String, _ type: String) throws -> String {
        switch type {
        case "rsa:2048": try run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", name])
        case "ec:P-256": try run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name])
        case "ec:P-384": try run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", name])
        default: Issue.record("unknown key type \(type)")
        }
        return path(name)
    }

    /// A certificate request made by `openssl req` for the key in `keyFile`, asking for
    /// `subjectAltName` (openssl syntax, e.g. "URI:spiffe://...,DNS:x"; nil: no extension).
    func request(keyFile: String, subjectAltName: String?) throws -> [UInt8] {
        var arguments = ["req", "-new", "-key", keyFile, "-subj", "/CN=service", "-out", "request.pem"]
        if let subjectAltName { arguments += ["-addext", "subjectAltName=\(subjectAltName)"] }
        try run(arguments)
        return try read("request.pem")
    }
}

/// `openssl` exited non-zero.
struct OpenSSLFailure: Error, CustomStringConvertible {
    var arguments: String
    var status: Int32
    var firstLine: String
    var description: String { "openssl \(arguments) exited \(status): \(firstLine)" }
}
