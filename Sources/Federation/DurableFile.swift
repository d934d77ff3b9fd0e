#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// The file steps checkpoints are written with, each durable when it returns: a flushed temporary
/// file beside its destination, a rename or no-clobber link followed by a flush of the directory.
/// Built on ``POSIXFile``; every failure is a ``CheckpointError/io(path:operation:reason:)``.
enum DurableFile {
    /// Writes `bytes` to a new temporary file in the directory of `path` (named `.<name>.<pid>.<random>.tmp`),
    /// with permission bits exactly `mode`, flushes and closes it, and returns its path. On failure
    /// the temporary file is removed.
    static func writeTemporary(_ bytes: [UInt8], beside path: String, mode: mode_t) throws(CheckpointError) -> String {
        let (directory, name) = split(path)
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let temporary = directory + ".\(name).\(getpid()).\(suffix)\(temporarySuffix)"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw error(temporary, "create a temporary file") }
        var closed = false
        var kept = false
        defer {
            if !closed { _ = close(descriptor) }
            if !kept { _ = unlink(temporary) }
        }
        guard fchmod(descriptor, mode) == 0 else { throw error(temporary, "set permissions") }
        do { try POSIXFile.writeAll(bytes, to: descriptor, path: temporary) } catch { throw CheckpointError(error) }
        guard fsync(descriptor) == 0 else { throw error(temporary, "flush (fsync)") }
        closed = true
        guard close(descriptor) == 0 else { throw error(temporary, "close") }
        kept = true
        return temporary
    }

    /// Renames `source` over `destination` (atomically replacing it) and flushes the directory, so
    /// that the rename survives a crash before anything written after it.
    static func rename(_ source: String, to destination: String) throws(CheckpointError) {
        guard posixRename(source, destination) == 0 else { throw error(destination, "replace (rename) with \(source)") }
        try syncDirectory(containing: destination)
    }

    /// Creates `path` with `bytes` and permission bits `mode` if no file is there, never replacing
    /// one: the bytes are flushed in a temporary file which is then hard-linked to `path`. Returns
    /// false (writing nothing) if `path` exists.
    static func createNew(_ bytes: [UInt8], at path: String, mode: mode_t) throws(CheckpointError) -> Bool {
        let temporary = try writeTemporary(bytes, beside: path, mode: mode)
        defer { _ = unlink(temporary) }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { return false }
            throw error(path, "create (link) from \(temporary)")
        }
        try syncDirectory(containing: path)
        return true
    }

    /// Removes the file at `path` if there is one, and flushes the directory.
    static func remove(_ path: String) throws(CheckpointError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw error(path, "remove") }
        try syncDirectory(containing: path)
    }

    /// Whether a file (of any kind) exists at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The permission bits of the file at `path`, or nil if it cannot be examined.
    static func mode(of path: String) -> UInt32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt32(info.st_mode) & 0o7777
    }

    /// The whole file at `path`.
    static func read(_ path: String) throws(CheckpointError) -> [UInt8] {
        do { return try POSIXFile.readAll(path) } catch { throw CheckpointError(error) }
    }

    /// Removes the temporary files that an interrupted ``writeTemporary(_:beside:mode:)`` for `path`
    /// may have left (their names start with `.<name>.` and end with `.tmp`).
    static func removeTemporaries(of path: String) {
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
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("./", path) }
        return (String(path[...slash]), String(path[path.index(after: slash)...]))
    }

    private static func syncDirectory(containing path: String) throws(CheckpointError) {
        do { try POSIXFile.syncDirectory(containing: path) } catch { throw CheckpointError(error) }
    }

    private static func error(_ path: String, _ operation: String) -> CheckpointError {
        .io(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }
}

/// `rename(2)`, named apart from ``DurableFile/rename(_:to:)``.
private func posixRename(_ source: String, _ destination: String) -> Int32 {
    rename(source, destination)
}
