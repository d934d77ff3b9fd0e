#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import TensorCore

/// The secret half of a tamper-evident ``PrivacyLedger``: a 32-byte HMAC-SHA256 key, which chains the
/// ledger's records, and the path of the ledger's *head record*, which says how many records have
/// been committed and the MAC of the last one.
///
/// Contract:
/// - Both the key and the head live OUTSIDE the ledger's folder, in a directory the caller chooses
///   (for a hospital, e.g. beside its TLS credentials) that only the operator can write.
///   ``PrivacyLedger`` refuses a head in the ledger's own directory
///   (``LedgerError/sealBesideLedger(path:head:)``): whoever can delete the ledger could then delete
///   its head too, and the ledger would silently restart at ε 0.
/// - ``loadOrCreate(directory:name:)`` keeps one key per directory (`ledger.key`, shared by every
///   ledger sealed from that directory) and one head per ledger (`<name>.ledger-head`).
///
/// What it protects against: someone who can edit, delete, truncate, reorder or replace files in the
/// ledger's folder, but cannot read the key or write the seal's directory. Any deleted, inserted,
/// reordered or edited record, a ledger cut short or rolled back to an older copy, a ledger replaced
/// by an empty file, by a hand-written one (checksums recomputed, or an unkeyed v1 file) or by
/// another ledger's file, is then an error when the ledger is opened.
///
/// What it does not protect against: anyone who can read the key (they can forge a whole ledger and
/// its head) or write the seal's directory (they can delete the head, and then the ledger is trusted
/// as found, as on the first sealed open of a ledger). It does not keep the ledger secret, and it
/// cannot tell apart two ledgers sealed with the same key whose records are identical so far (the
/// chain is not bound to the file's name, so that a run's folder can be moved).
public struct LedgerSeal: Sendable {
    /// The HMAC-SHA256 key's 32 bytes (kept as bytes: `SymmetricKey` is not `Sendable`).
    private let keyBytes: [UInt8]
    /// The HMAC-SHA256 key (32 bytes).
    public var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    /// Where the ledger's head record is kept.
    public let headPath: String

    /// A seal from a key in memory. Throws ``LedgerError/sealRejected(path:problem:)`` (naming
    /// `headPath`) unless the key is 32 bytes.
    public init(key: SymmetricKey, headPath: String) throws(LedgerError) {
        guard key.bitCount == 256 else {
            throw .sealRejected(path: headPath, problem: "its key has \(key.bitCount / 8) bytes; a ledger key is exactly 32")
        }
        keyBytes = key.withUnsafeBytes { Array($0) }
        self.headPath = headPath
    }

    /// A seal from key bytes in memory. Throws ``LedgerError/sealRejected(path:problem:)`` unless
    /// there are 32 of them.
    public init(key: [UInt8], headPath: String) throws(LedgerError) {
        try self.init(key: SymmetricKey(data: key), headPath: headPath)
    }

    /// The seal kept in `directory`: the key `<directory>/ledger.key` and the head
    /// `<directory>/<name>.ledger-head`. The directory is created (mode 0700) when missing, and so is
    /// the key: 32 bytes from the system's secure generator, mode 0600, flushed, and linked into place
    /// only once complete (so a crash or a concurrent creator never leaves a short key; an existing key
    /// is never overwritten).
    ///
    /// Throws ``LedgerError/sealRejected(path:problem:)`` naming the key file when it is not a regular
    /// file of exactly 32 bytes, or when group or others have any permission on it; or when `name` is
    /// empty or holds a `/`. Throws ``LedgerError/io(_:)`` when a system call fails.
    public static func loadOrCreate(directory: String, name: String) throws(LedgerError) -> LedgerSeal {
        var directory = directory
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        guard !directory.isEmpty else { throw .sealRejected(path: directory, problem: "no directory was given for the ledger's key") }
        guard !name.isEmpty, !name.contains("/") else {
            throw .sealRejected(path: directory, problem: "the ledger name '\(name)' must be non-empty and hold no '/'")
        }
        do { try POSIXFile.makeDirectory(directory, mode: 0o700) } catch {
            if error.code != EEXIST { throw .io(error) }
        }
        let keyPath = directory + "/ledger.key"
        let key: [UInt8]
        if let existing = try loadKey(keyPath) { key = existing } else { key = try createKey(keyPath, directory: directory) }
        return try LedgerSeal(key: key, headPath: directory + "/\(name).ledger-head")
    }

    // MARK: - Key file

    /// The key at `path`, or nil when there is no file.
    static func loadKey(_ path: String) throws(LedgerError) -> [UInt8]? {
        let read: (bytes: [UInt8], mode: UInt32)
        do { read = try POSIXFile.readWithMode(path, limit: 4096) } catch {
            if error.isMissing { return nil }
            if error.code == 0 { throw .sealRejected(path: path, problem: "it is \(error.reason)") }
            throw .io(error)
        }
        guard read.mode & 0o077 == 0 else {
            throw .sealRejected(path: path, problem: "group or others have access to it (mode \(String(read.mode & 0o777, radix: 8))); "
                                + "if nobody else can have read it, restrict it with `chmod 600 \(path)`, otherwise "
                                + "its ledgers can be forged and must be treated as unverified")
        }
        guard read.bytes.count == 32 else {
            throw .sealRejected(path: path, problem: "it holds \(read.bytes.count) bytes; a ledger key is exactly 32 "
                                + "(restore the original key: ledgers sealed with it cannot be verified without it)")
        }
        return read.bytes
    }

    /// Writes a fresh key to a temporary file and links it to `path` (which fails if another process
    /// created it first; that key is then used).
    static func createKey(_ path: String, directory: String) throws(LedgerError) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let created: Bool
        do { created = try POSIXFile.createNew(bytes, at: path, mode: 0o600) } catch { throw .io(error) }
        // Another process created the key first: that key is the one.
        if !created, let existing = try loadKey(path) { return existing }
        guard created else { throw .io(POSIXFileError(path: path, operation: "create the ledger key", reason: "it vanished after another process created it")) }
        return bytes
    }

    // MARK: - MACs and the head record

    /// The MAC of record `index` (0-based, the header not counted) with text `record`, chained to the
    /// previous record's MAC (`""` for the first): hex HMAC-SHA256(key, "fedtop-ledger-v2" ‖ 0x00 ‖
    /// decimal index ‖ 0x00 ‖ previous MAC hex ‖ 0x00 ‖ record text).
    func mac(index: Int, previous: String, record: String) -> String {
        var message = Array("fedtop-ledger-v2".utf8)
        message.append(0)
        message += Array(String(index).utf8)
        message.append(0)
        message += Array(previous.utf8)
        message.append(0)
        message += Array(record.utf8)
        return Hex.encode(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    /// The MAC of the head's text (`count <n> mac <hex>`), in its own domain so that no record's MAC
    /// can stand for a head's.
    func headMAC(_ body: String) -> String {
        var message = Array("fedtop-ledger-head-v2".utf8)
        message.append(0)
        message += Array(body.utf8)
        return Hex.encode(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    /// The head record: `count` records committed, the last with MAC `mac` (`""` when none).
    struct Head: Equatable {
        var count: Int
        var mac: String
    }

    /// The head record, or nil when there is none. Throws ``LedgerError/headDamaged(path:ledger:)``
    /// when it does not parse or fails its MAC. Both forms are read: the fixed-size line that
    /// ``writeHead(_:)`` writes (padded with spaces) and an earlier version's unpadded one.
    func readHead(ledger: String) throws(LedgerError) -> Head? {
        guard let bytes = try LedgerFormat.readIfPresent(headPath) else { return nil }
        var text = String(decoding: bytes, as: UTF8.self)
        guard text.hasSuffix("\n") else { throw .headDamaged(path: headPath, ledger: ledger) }
        text.removeLast()
        while text.hasSuffix(" ") { text.removeLast() }
        guard let (body, tag) = LedgerFormat.splitMAC(text), headMAC(body) == tag else {
            throw .headDamaged(path: headPath, ledger: ledger)
        }
        let fields = body.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 4, fields[0] == "count", fields[2] == "mac", let count = Int(fields[1]), count >= 0,
              count == 0 ? fields[3] == "-" : LedgerFormat.isMAC(fields[3]) else {
            throw .headDamaged(path: headPath, ledger: ledger)
        }
        return Head(count: count, mac: count == 0 ? "" : String(fields[3]))
    }

    /// Bytes of every head file ``writeHead(_:)`` writes: the line, padded with spaces, then `\n`.
    static let headSize = 192

    /// The head's bytes: `count <n> mac <hex> #<tag>`, padded to ``headSize``.
    func headBytes(_ head: Head) -> [UInt8] {
        let body = "count \(head.count) mac \(head.mac.isEmpty ? "-" : head.mac)"
        var bytes = Array("\(body) #\(headMAC(body))".utf8)
        precondition(bytes.count < Self.headSize, "LedgerSeal: a head line of \(bytes.count) bytes")
        bytes += [UInt8](repeating: UInt8(ascii: " "), count: Self.headSize - 1 - bytes.count)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Writes the head record durably. A head of ``headSize`` bytes is overwritten in place, in one
    /// write of fewer bytes than a disk sector, then `fdatasync`: no file is created, renamed or
    /// deleted (a thousand hospitals' ledgers did that every round, and ext4's inode allocation
    /// showed in the round's profile). The head is smaller than a sector, which devices write whole (the assumption of
    /// SQLite's powersafe overwrite); were one ever torn, the ledger would refuse to open, naming the
    /// head — it fails closed, never open. A missing head, or an earlier version's unpadded one, is
    /// replaced atomically instead (temporary file, fsync, rename, fsync of the directory).
    func writeHead(_ head: Head) throws(LedgerError) {
        let bytes = headBytes(head)
        let descriptor = open(headPath, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if descriptor >= 0 {
            defer { close(descriptor) }
            var info = stat()
            // In place only over our own private, regular, singly linked head of the right size; anything
            // else (a hard link into a backup, a loosened mode, another owner) is replaced atomically.
            if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size == off_t(Self.headSize),
               info.st_nlink == 1, info.st_mode & 0o077 == 0, info.st_uid == geteuid() {
                let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
                guard written == Self.headSize else {
                    throw .io(POSIXFileError(path: headPath, operation: "write the ledger head"))
                }
                guard fdatasync(descriptor) == 0 else { throw .io(POSIXFileError(path: headPath, operation: "flush the ledger head")) }
                return
            }
        }
        do { try POSIXFile.replaceAtomically(headPath, with: bytes, mode: 0o600) } catch { throw .io(error) }
    }

    /// Throws ``LedgerError/sealBesideLedger(path:head:)`` when the head is in the ledger's own
    /// directory (same device and inode). A directory that cannot be examined is left for the
    /// ledger's own file operations to report.
    func checkApart(from ledgerPath: String) throws(LedgerError) {
        func directory(of path: String) -> String {
            guard let slash = path.lastIndex(of: "/") else { return "." }
            return slash == path.startIndex ? "/" : String(path[..<slash])
        }
        var a = stat(), b = stat()
        guard stat(directory(of: ledgerPath), &a) == 0, stat(directory(of: headPath), &b) == 0 else { return }
        if a.st_dev == b.st_dev, a.st_ino == b.st_ino { throw .sealBesideLedger(path: ledgerPath, head: headPath) }
    }
}
