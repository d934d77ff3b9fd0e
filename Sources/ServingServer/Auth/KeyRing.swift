import Foundation
import Serving

/// The server's view of its keys file: loaded at start (which refuses a missing, exposed or keyless
/// file), and re-read when the file changes (inode, size or modification time, checked at most once a
/// second), so `fedtop serve keys revoke` takes effect on a running server within a second.
///
/// Contract: a file that becomes unreadable or invalid while serving keeps the last good keys and is
/// reported in ``problem`` (the server logs it); it never falls back to no authentication.
public final class KeyRing: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private var store: APIKeyStore
    private var stamp: [Int]
    private var checked: Double
    private var problem: String?

    /// Why the last re-read of the keys file failed (the keys loaded before stay in force), or nil.
    public var currentProblem: String? { lock.withLock { problem } }

    public init(path: String) throws(APIKeyStoreError) {
        self.path = path
        store = try APIKeyStore.load(path: path)
        stamp = Self.stamp(path)
        checked = Self.now()
    }

    /// The active key whose token this is, or nil.
    public func authenticate(token: Substring) -> APIKey? {
        lock.withLock {
            reloadIfChanged()
            return store.authenticate(token: token)
        }
    }

    private func reloadIfChanged() {
        let now = Self.now()
        guard now - checked >= 1 else { return }
        checked = now
        let current = Self.stamp(path)
        guard current != stamp else { return }
        do {
            store = try APIKeyStore.open(path: path)
            stamp = current
            problem = nil
        } catch { problem = "\(error)" }
    }

    private static func stamp(_ path: String) -> [Int] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [] }
        #if canImport(Darwin)
        let modified = info.st_mtimespec
        #else
        let modified = info.st_mtim
        #endif
        return [Int(info.st_ino), Int(info.st_size), Int(modified.tv_sec), Int(modified.tv_nsec)]
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
