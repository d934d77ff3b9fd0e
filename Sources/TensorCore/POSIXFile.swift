#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one durable-file utility of fedtop, with POSIX calls: whole-file reads, complete writes, files
/// replaced atomically or created without ever replacing one, folders created with their final
/// permissions, and directory flushes — for safetensors files, checkpoints, ledgers and their seals,
/// keys and credentials alike.
///
/// Contract: reads and writes retry on `EINTR` and never return partial results; a step that says
/// "durable" has flushed the file and its directory (`fsync`) before it returns, so it survives a
/// crash; a temporary file is named `.<name>.<pid>.<random>.tmp` beside its destination and removed on
/// failure; every failure is a ``POSIXFileError`` naming the path, the operation and the system's
/// reason (and its `errno`).
public enum POSIXFile {
    /// Creates the directory at `path` and any missing parents (mode 0755, as `mkdir -p`). A failure
    /// names the component that could not be made and the system's reason: `/tmp/a-file/x` fails at
    /// `/tmp/a-file` ("exists and is not a directory"), `/proc/x` with "No such file or directory".
    public static func makeDirectories(_ path: String) throws(POSIXFileError) {
        guard !path.isEmpty else { throw POSIXFileError(path: path, operation: "create directory", reason: "empty path") }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + part
            var info = stat()
            if stat(prefix, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw POSIXFileError(path: prefix, operation: "create directory", reason: "exists and is not a directory")
                }
                continue
            }
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw POSIXFileError(path: prefix, operation: "create directory")
            }
        }
    }

    /// The whole file at `path`.
    public static func readAll(_ path: String) throws(POSIXFileError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXFileError(path: path, operation: "open for reading") }
        defer { _ = close(descriptor) }
        return try readToEnd(descriptor, path: path, limit: nil)
    }

    /// The whole regular file at `path` with its permission bits (from the open descriptor, so both
    /// describe one file), at most `limit` bytes: for keys and credentials, whose mode matters.
    public static func readWithMode(_ path: String, limit: Int) throws(POSIXFileError) -> (bytes: [UInt8], mode: UInt32) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXFileError(path: path, operation: "open for reading") }
        defer { _ = close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw POSIXFileError(path: path, operation: "examine (fstat)") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw POSIXFileError(path: path, operation: "read", reason: "not a regular file") }
        guard Int(info.st_size) <= limit else { throw POSIXFileError(path: path, operation: "read", reason: "larger than \(limit) bytes") }
        return (try readToEnd(descriptor, path: path, limit: limit), UInt32(info.st_mode) & 0o7777)
    }

    private static func readToEnd(_ descriptor: Int32, path: String, limit: Int?) throws(POSIXFileError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: limit.map { min($0 + 1, 1 << 20) } ?? 1 << 20)
        while true {
            let result = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                throw POSIXFileError(path: path, operation: "read")
            }
            if result == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<result])
            if let limit, bytes.count > limit { throw POSIXFileError(path: path, operation: "read", reason: "larger than \(limit) bytes") }
        }
    }

    /// Writes all of `bytes` to `descriptor` (the file at `path`, for errors).
    public static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(POSIXFileError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                posixWrite(descriptor, raw.baseAddress! + written, raw.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw POSIXFileError(path: path, operation: "write")
            }
            written += result
        }
    }

    /// Writes `bytes` to a new temporary file beside `path`, with permission bits exactly `mode` (nil:
    /// 0644 less the umask), flushes and closes it, and returns its path. On failure the temporary file
    /// is removed.
    public static func writeTemporary(_ bytes: [UInt8], beside path: String, mode: mode_t?) throws(POSIXFileError) -> String {
        let (directory, name) = split(path)
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let temporary = directory + ".\(name).\(getpid()).\(suffix)\(temporarySuffix)"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ?? 0o644)
        guard descriptor >= 0 else { throw POSIXFileError(path: temporary, operation: "create a temporary file") }
        var closed = false
        var kept = false
        defer {
            if !closed { _ = close(descriptor) }
            if !kept { _ = unlink(temporary) }
        }
        if let mode, fchmod(descriptor, mode) != 0 { throw POSIXFileError(path: temporary, operation: "set permissions") }
        try writeAll(bytes, to: descriptor, path: temporary)
        guard fsync(descriptor) == 0 else { throw POSIXFileError(path: temporary, operation: "flush (fsync)") }
        closed = true
        guard close(descriptor) == 0 else { throw POSIXFileError(path: temporary, operation: "close") }
        kept = true
        return temporary
    }

    /// Replaces the file at `path` with `bytes`, atomically and durably: after a crash `path` holds
    /// the old file or the whole new one. Its permission bits are exactly `mode`, or (nil) 0644 less
    /// the umask.
    public static func replaceAtomically(_ path: String, with bytes: [UInt8], mode: mode_t? = nil) throws(POSIXFileError) {
        let temporary = try writeTemporary(bytes, beside: path, mode: mode)
        do { try rename(temporary, to: path) } catch {
            _ = unlink(temporary)
            throw error
        }
    }

    /// Renames `source` over `destination` (atomically replacing it), durably.
    public static func rename(_ source: String, to destination: String) throws(POSIXFileError) {
        guard posixRename(source, destination) == 0 else {
            throw POSIXFileError(path: destination, operation: "replace (rename) with \(source)")
        }
        try syncDirectory(containing: destination)
    }

    /// Creates `path` with `bytes` and permission bits exactly `mode` if nothing is there, never
    /// replacing anything (not even a link): the bytes are flushed in a temporary file which is then
    /// hard-linked to `path`, durably. Returns false, writing nothing, when `path` exists.
    /// On a file system without hard links (FAT, some network mounts) it falls back to
    /// ``createExclusive(_:at:mode:)``.
    public static func createNew(_ bytes: [UInt8], at path: String, mode: mode_t) throws(POSIXFileError) -> Bool {
        let temporary = try writeTemporary(bytes, beside: path, mode: mode)
        defer { _ = unlink(temporary) }
        guard link(temporary, path) == 0 else {
            let code = errno
            if code == EEXIST { return false }
            if code == EPERM || code == ENOTSUP || code == EOPNOTSUPP || code == EXDEV || code == EMLINK {
                _ = unlink(temporary)
                return try createExclusive(bytes, at: path, mode: mode)
            }
            throw POSIXFileError(path: path, operation: "create (link) from \(temporary)")
        }
        try syncDirectory(containing: path)
        return true
    }

    /// Creates `path` in place (`O_EXCL | O_NOFOLLOW`: never over anything, never through a link) with
    /// permission bits `mode` less the umask, writes `bytes` and flushes it and its directory; no
    /// temporary copy is ever made (for private keys). Returns false, writing nothing, when `path`
    /// exists. A crash mid-write can leave the file short: callers check what they read back.
    public static func createExclusive(_ bytes: [UInt8], at path: String, mode: mode_t) throws(POSIXFileError) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            if errno == EEXIST { return false }
            throw POSIXFileError(path: path, operation: "create")
        }
        var closed = false
        defer { if !closed { _ = close(descriptor) } }
        try writeAll(bytes, to: descriptor, path: path)
        guard fsync(descriptor) == 0 else { throw POSIXFileError(path: path, operation: "flush (fsync)") }
        closed = true
        guard close(descriptor) == 0 else { throw POSIXFileError(path: path, operation: "close") }
        try syncDirectory(containing: path)
        return true
    }

    /// Removes the file at `path` if there is one, durably.
    public static func remove(_ path: String) throws(POSIXFileError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw POSIXFileError(path: path, operation: "remove") }
        try syncDirectory(containing: path)
    }

    /// Creates the folder `path` with permission bits `mode` (less the umask). Throws with `code`
    /// `EEXIST` when anything is at `path`.
    public static func makeDirectory(_ path: String, mode: mode_t) throws(POSIXFileError) {
        guard mkdir(path, mode) == 0 else { throw POSIXFileError(path: path, operation: "create the folder") }
    }

    /// Whether anything (file, folder, link) is at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Whether `path` is a folder (following links).
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The permission bits of the file at `path`, or nil if it cannot be examined.
    public static func mode(of path: String) -> UInt32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt32(info.st_mode) & 0o7777
    }

    /// Removes the temporary files that an interrupted ``writeTemporary(_:beside:mode:)`` for `path`
    /// may have left.
    public static func removeTemporaries(of path: String) {
        let (directory, name) = split(path)
        guard let handle = opendir(directory) else { return }
        defer { closedir(handle) }
        let prefix = ".\(name)."
        while let entry = readdir(handle) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if entryName.hasPrefix(prefix) && entryName.hasSuffix(temporarySuffix) {
                _ = unlink(directory + entryName)
            }
        }
    }

    static let temporarySuffix = ".tmp"

    /// The directory of `path` with its trailing slash (`./` for a bare name), and the last component.
    public static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("./", path) }
        return (String(path[...slash]), String(path[path.index(after: slash)...]))
    }

    /// Flushes the directory holding `path`, so that a file created or renamed in it survives a crash.
    public static func syncDirectory(containing path: String) throws(POSIXFileError) {
        try syncDirectory(split(path).directory)
    }

    /// Flushes the folder `path` itself, so that the entries created in it survive a crash.
    public static func syncDirectory(_ path: String) throws(POSIXFileError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXFileError(path: path, operation: "open directory to flush it") }
        defer { _ = close(descriptor) }
        guard fsync(descriptor) == 0 else { throw POSIXFileError(path: path, operation: "flush directory (fsync)") }
    }
}

/// A failed system call on a file.
public struct POSIXFileError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var operation: String
    /// The system's reason (`strerror`), or fedtop's own.
    public var reason: String
    /// The `errno` of the failed call (0 for a failure fedtop itself found).
    public var code: Int32

    /// The error for the current `errno`.
    public init(path: String, operation: String) {
        self.path = path
        self.operation = operation
        code = errno
        reason = String(cString: strerror(code))
    }

    /// A failure found by fedtop itself (a file too large, not a regular file).
    public init(path: String, operation: String, reason: String) {
        self.path = path
        self.operation = operation
        self.reason = reason
        code = 0
    }

    /// Whether the failure was that nothing is at the path.
    public var isMissing: Bool { code == ENOENT }

    public var description: String { "\(path): \(operation) failed: \(reason)" }
}

/// `write(2)`, named apart from the `write(to:)` methods.
@inline(__always)
private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

/// `rename(2)`, named apart from ``POSIXFile/rename(_:to:)``.
private func posixRename(_ source: String, _ destination: String) -> Int32 {
    rename(source, destination)
}
