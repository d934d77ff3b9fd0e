#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Privacy
import TensorCore

/// Why the keys file cannot be used; each names the file.
public enum APIKeyStoreError: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    case exposed(path: String, mode: UInt32)
    case malformed(path: String, reason: String)
    case noActiveKey(path: String)
    case unknownKey(path: String, id: String)
    case invalid(reason: String)
    case io(String)

    public var description: String {
        switch self {
        case let .missing(path):
            "\(path): no API keys file; issue a key with `fedtop serve keys add NAME --state \(Self.folder(path))` (the server never runs without authentication)"
        case let .exposed(path, mode):
            "\(path): mode \(String(mode, radix: 8)), readable or writable by others; run `chmod 600 \(path)`"
        case let .malformed(path, reason): "\(path): not a fedtop API keys file: \(reason)"
        case let .noActiveKey(path):
            "\(path): no active API key (none issued, or all revoked); issue one with `fedtop serve keys add NAME --state \(Self.folder(path))`"
        case let .unknownKey(path, id): "\(path): no key \(id)"
        case let .invalid(reason): reason
        case let .io(message): message
        }
    }

    static func folder(_ path: String) -> String { POSIXFile.split(path).directory }
}

/// The server's API keys, in one JSON file (mode 0600, replaced atomically on every change):
/// `{"format": "fedtop-serve-keys/1", "keys": [APIKey…]}`.
///
/// Contract: ``load(path:)`` refuses a missing, group- or world-accessible, malformed or empty
/// file, or one without an active key — a server never starts with an open door. Issuing returns
/// the token once (only its digest is stored); revoking marks the key, keeping its id (its ledger and
/// audit lines still name it). ``authenticate(token:)`` runs the same comparison whether or not the
/// id exists, so its time does not tell which ids do.
public struct APIKeyStore: Sendable {
    public static let formatName = "fedtop-serve-keys/1"

    struct File: Codable {
        var format: String
        var keys: [APIKey]
    }

    public let path: String
    public private(set) var keys: [APIKey]

    /// The token bucket's bounds (records a second; records at once).
    static let rates: ClosedRange<Double> = 0.001...1_000_000
    static let bursts: ClosedRange<Int> = 1...1_000_000

    /// The keys file at `path`, checked as the contract says.
    public static func load(path: String) throws(APIKeyStoreError) -> APIKeyStore {
        guard POSIXFile.exists(path) else { throw .missing(path: path) }
        let store = try open(path: path)
        guard store.keys.contains(where: \.isActive) else { throw .noActiveKey(path: path) }
        return store
    }

    /// The keys file at `path` for managing keys: an absent file is an empty store (created by the first `add`).
    public static func open(path: String) throws(APIKeyStoreError) -> APIKeyStore {
        guard POSIXFile.exists(path) else { return APIKeyStore(path: path, keys: []) }
        let (bytes, mode): ([UInt8], UInt32)
        do { (bytes, mode) = try POSIXFile.readWithMode(path, limit: 16 << 20) } catch { throw .io("\(error)") }
        guard mode & 0o077 == 0 else { throw .exposed(path: path, mode: mode) }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: Data(bytes)) } catch {
            throw .malformed(path: path, reason: "not the expected JSON (\(error))")
        }
        guard file.format == formatName else { throw .malformed(path: path, reason: "format \"\(file.format)\", expected \"\(formatName)\"") }
        var seen = Set<String>()
        for key in file.keys {
            guard key.id.utf8.count == 12, seen.insert(key.id).inserted else { throw .malformed(path: path, reason: "key id \"\(key.id)\" malformed or repeated") }
            guard let digest = Hex.decode(key.sha256), digest.count == 32, digest.contains(where: { $0 != 0 }) else {
                throw .malformed(path: path, reason: "key \(key.id) has an empty or malformed digest")
            }
            guard APIKeyStore.rates.contains(key.recordsPerSecond), APIKeyStore.bursts.contains(key.burst),
                  key.privateEpsilon >= 0, key.privateEpsilon.isFinite, key.privateDelta > 0, key.privateDelta < 1 else {
                throw .malformed(path: path, reason: "key \(key.id) has a limit out of range")
            }
            guard !(key.scopes.contains(.predict) && key.scopes.contains(.private)) else {
                throw .malformed(path: path, reason: "key \(key.id) has both predict and private")
            }
        }
        return APIKeyStore(path: path, keys: file.keys)
    }

    init(path: String, keys: [APIKey]) {
        self.path = path
        self.keys = keys
    }

    /// The active key whose token this is, or nil (malformed, unknown, revoked, or the wrong secret).
    public func authenticate(token: Substring) -> APIKey? {
        guard let (id, secret) = APIKey.parse(token: token) else { return nil }
        let key = keys.first { $0.id == id }
        // An unknown id is compared against a digest no secret has, so it costs the same.
        let candidate = key ?? APIKey(id: id, name: "", sha256: String(repeating: "0", count: 64), scopes: [], recordsPerSecond: 1,
                                      burst: 1, privateEpsilon: 0, privateDelta: 1e-6, created: "", revoked: nil)
        let matches = candidate.matches(secret: secret)
        guard let key, matches, key.isActive else { return nil }
        return key
    }

    /// Issues a key: returns it and its token (shown once; only its digest is stored).
    public mutating func add(name: String, scopes: [APIScope], recordsPerSecond: Double, burst: Int,
                             privateEpsilon: Double, privateDelta: Double, now: Date = Date()) throws(APIKeyStoreError) -> (key: APIKey, token: String) {
        let cleanName = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !cleanName.isEmpty, cleanName.utf8.count <= 64, !cleanName.contains(where: { $0.isNewline || $0 == "\"" }) else {
            throw .invalid(reason: "key name must be 1–64 characters without quotes or newlines")
        }
        guard !scopes.isEmpty else { throw .invalid(reason: "a key needs at least one scope (predict, private, metrics)") }
        guard Self.rates.contains(recordsPerSecond), Self.bursts.contains(burst) else {
            throw .invalid(reason: "--rate must be from 0.001 to 1000000 records a second and --burst from 1 to 1000000 records")
        }
        guard !(scopes.contains(.predict) && scopes.contains(.private)) else {
            throw .invalid(reason: "a key cannot have both predict and private: with predict it reads the probabilities that private answers "
                           + "exist to hide, so its ε budget would bound nothing; issue two keys")
        }
        guard privateEpsilon >= 0, privateEpsilon.isFinite, privateDelta > 0, privateDelta < 1 else {
            throw .invalid(reason: "--private-epsilon must be ≥ 0 and --private-delta in (0, 1)")
        }
        let random = try Self.secureBytes()
        var id: String
        repeat { id = Hex.encode(Array(try Self.secureBytes().prefix(6))) } while keys.contains { $0.id == id }
        let key = APIKey(id: id, name: cleanName, sha256: Hex.encode(APIKey.digest(secret: random)), scopes: scopes,
                         recordsPerSecond: recordsPerSecond, burst: burst, privateEpsilon: privateEpsilon, privateDelta: privateDelta,
                         created: ISO8601DateFormatter().string(from: now), revoked: nil)
        keys.append(key)
        try save()
        return (key, APIKey.token(id: id, secret: random))
    }

    /// Revokes key `id` (kept in the file, marked).
    public mutating func revoke(id: String, now: Date = Date()) throws(APIKeyStoreError) {
        guard let index = keys.firstIndex(where: { $0.id == id }) else { throw .unknownKey(path: path, id: id) }
        if keys[index].revoked == nil { keys[index].revoked = ISO8601DateFormatter().string(from: now) }
        try save()
    }

    private func save() throws(APIKeyStoreError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            let bytes = Array(try encoder.encode(File(format: Self.formatName, keys: keys))) + [0x0A]
            try POSIXFile.replaceAtomically(path, with: bytes, mode: 0o600)
        } catch { throw .io("\(path): cannot write the keys file: \(error)") }
    }

    /// 32 bytes from the kernel's secure source.
    private static func secureBytes() throws(APIKeyStoreError) -> [UInt8] {
        do { return try ChaCha20Generator.secureKey() } catch { throw .io("\(error)") }
    }
}
