// Exclusive locks on files (`flock`), the identity of files and of the files a process
// holds open, and the user's id: what keeps two `meshbed up` off one state directory.
// Part of the `Posix` facade (System.swift).

import Glibc

/// A file as the kernel knows it: device and inode, the same for every path and every
/// descriptor that reaches it.
public struct FileIdentity: Sendable, Hashable {
    public let device: UInt64
    public let inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }
}

extension Posix {
    /// Opens (creating it, mode 0644) `path` and takes an exclusive `flock` on it without
    /// waiting. Returns the descriptor, which holds the lock until it (and every copy of it,
    /// in this or a child process) is closed, or nil when someone else holds it. The
    /// descriptor is close-on-exec and numbered 10 or above, so it never collides with the
    /// descriptors a child is given (`SpawnRequest.passedDescriptor`).
    public static func lockExclusively(_ path: String) throws(IOError) -> Int32? {
        let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard opened >= 0 else { throw IOError(code: errno(), function: "open \(path)") }
        let fd = fcntl(opened, F_DUPFD_CLOEXEC, Int32(10))
        let code = errno()
        Glibc.close(opened)
        guard fd >= 0 else { throw IOError(code: code, function: "fcntl") }
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return fd }
            let code = errno()
            if code == EINTR { continue }
            Glibc.close(fd)
            if code == EWOULDBLOCK || code == EAGAIN { return nil }
            throw IOError(code: code, function: "flock \(path)")
        }
    }

    /// Marks `fd` close-on-exec (a descriptor a process was handed keeps it from its children).
    public static func setCloseOnExec(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }

    /// The identity of the file at `path` (symbolic links followed), or nil when there is none.
    public static func fileIdentity(_ path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// The identity of the file `fd` refers to, or nil when it is not open.
    public static func fileIdentity(of fd: Int32) -> FileIdentity? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// The files `pid` holds open (from `/proc/PID/fd`); empty when that cannot be read
    /// (no such process, or not ours to look at).
    public static func openFiles(of pid: Int32) -> Set<FileIdentity> {
        guard pid > 0, let directory = opendir("/proc/\(pid)/fd") else { return [] }
        defer { closedir(directory) }
        var result: Set<FileIdentity> = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard Int32(name) != nil, let identity = fileIdentity("/proc/\(pid)/fd/\(name)") else { continue }
            result.insert(identity)
        }
        return result
    }

    /// The real user id of this process.
    public static func userID() -> UInt32 { getuid() }
}
