#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// Why the server's state folder cannot be used.
public enum ServeStateError: Error, Equatable, CustomStringConvertible {
    /// The folder is readable, writable or searchable by group or others (its keys, ledgers and audit
    /// log would be exposed).
    case exposed(path: String, mode: UInt32)
    /// Another process holds the folder (another `fedtop serve` on the same state).
    case busy(path: String)
    case io(String)

    public var description: String {
        switch self {
        case let .exposed(path, mode):
            "\(path): the server's state folder has mode \(String(mode, radix: 8)), open to other users; run `chmod 700 \(path)`"
        case let .busy(path):
            "\(path): another fedtop serve is using this state folder (its ledgers have one writer); stop it or give another --state"
        case let .io(detail): detail
        }
    }
}

/// The server's hold on its state folder (`keys.json`, `ledgers/`, `seals/`, `audit/`) for as long
/// as it runs: an exclusive `flock` on `<state>/lock`, so two servers never write one key's answer
/// ledger at once (each ledger has one writer), and a check, at every start, that the folder is
/// private (mode 0700 or stricter) — a folder opened to others since the last start is refused,
/// not silently served from.
///
/// Contract: ``acquire(directory:)`` throws ``ServeStateError/exposed(path:mode:)`` or
/// ``ServeStateError/busy(path:)`` (naming the folder and the fix) and holds nothing then; the lock
/// is released by ``release()`` or when the process ends (the kernel drops it with the descriptor).
public final class ServeStateLock: @unchecked Sendable {
    public let directory: String
    private var descriptor: Int32

    private init(directory: String, descriptor: Int32) {
        self.directory = directory
        self.descriptor = descriptor
    }

    public static func acquire(directory: String) throws(ServeStateError) -> ServeStateLock {
        guard let mode = POSIXFile.mode(of: directory) else { throw .io("\(directory): the server's state folder cannot be examined") }
        guard mode & 0o077 == 0 else { throw .exposed(path: directory, mode: mode) }
        let path = directory + "/lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw .io("\(path): cannot open the state folder's lock: \(String(cString: strerror(errno)))") }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let reason = errno
            if reason == EINTR { continue }
            _ = close(descriptor)
            if reason == EWOULDBLOCK { throw .busy(path: directory) }
            throw .io("\(path): cannot lock the state folder: \(String(cString: strerror(reason)))")
        }
        return ServeStateLock(directory: directory, descriptor: descriptor)
    }

    /// Lets another server use the folder.
    public func release() {
        guard descriptor >= 0 else { return }
        _ = flock(descriptor, LOCK_UN)
        _ = close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
