import FoundationEssentials
import MeshCore
import MeshIO
import MeshTLS

extension CertificateAuthority {
    /// The file names of a root made by meshbed in a state directory.
    public static let rootCertificateFile = "root-cert.pem"
    public static let rootKeyFile = "root-key.pem"

    /// The root a team pinned (`mesh.ca: {cert, key}`): both PEM files must read and match.
    public static func loadRoot(certificateFile: String, keyFile: String) throws(ControlError) -> CertificateIssuer {
        let certificate = try read(certificateFile, what: "mesh.ca cert")
        let key = try read(keyFile, what: "mesh.ca key")
        do {
            return try CertificateIssuer(root: PEMCredential(certificateChain: certificate, privateKey: key))
        } catch {
            throw .badRequest("mesh.ca: \(error)")
        }
    }

    /// The root kept in `directory` (`root-cert.pem`, `root-key.pem`), made there first when
    /// absent: a fresh P-256 root valid for ten years, its key readable by its owner only.
    /// A directory holding one file of the two is refused (something else wrote it).
    public static func loadOrCreateRoot(in directory: String) throws(ControlError) -> CertificateIssuer {
        let certificatePath = PathText.appending(directory, rootCertificateFile)
        let keyPath = PathText.appending(directory, rootKeyFile)
        let files = FileManager.default
        switch (files.fileExists(atPath: certificatePath), files.fileExists(atPath: keyPath)) {
        case (true, true):
            return try loadRoot(certificateFile: certificatePath, keyFile: keyPath)
        case (false, false):
            break
        default:
            throw .badRequest("\(directory): holds only one of \(rootCertificateFile) and \(rootKeyFile); remove it to make a new root")
        }
        let issuer = try makeRoot()
        do {
            // Owner-only directory first: the key inside is never reachable by others, not even
            // between its creation and its chmod.
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try files.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
            guard files.createFile(atPath: keyPath, contents: Data(issuer.root.privateKey), attributes: [.posixPermissions: 0o600]) else {
                throw ControlError.badRequest("\(keyPath): could not write the root key")
            }
            try Data(issuer.root.certificateChain).write(to: URL(fileURLWithPath: certificatePath))
        } catch let error as ControlError {
            throw error
        } catch {
            throw .badRequest("\(directory): could not store the root: \(FileErrorReason.of(error))")
        }
        return issuer
    }

    /// A fresh P-256 root valid for ten years (kept by `loadOrCreateRoot`, or, without a
    /// state directory, for one run of the control plane).
    public static func makeRoot() throws(ControlError) -> CertificateIssuer {
        do {
            return try CertificateIssuer.generateRoot(commonName: "meshbed root", lifetime: .seconds(10 * 365 * 86_400))
        } catch {
            throw .badRequest("could not make a root: \(error)")
        }
    }

    private static func read(_ path: String, what: String) throws(ControlError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badRequest("\(what): cannot read \(path)")
        }
        return [UInt8](data)
    }
}
