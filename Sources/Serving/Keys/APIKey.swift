import Crypto
import Foundation
import TensorCore

/// What a key may do: `predict` (`/v1/predict`, `/v1/model`), `private` (`/v1/predict/private`,
/// `/v1/model`) and `metrics` (`/metrics`).
public enum APIScope: String, Codable, Sendable, CaseIterable {
    case predict, `private`, metrics
}

/// One API key as the server stores it: its id, who holds it, what it may do, its limits — and
/// only the SHA-256 of its secret, never the secret.
///
/// A token is `fedtop_<id>_<secret>`: a 12-hex-digit id (which names the key in logs, ledgers and
/// the audit log) and 32 random bytes from the kernel as unpadded base64url. The stored digest is
/// SHA-256 of a fixed label and the secret (a 256-bit random secret needs no slow password hash).
/// ``matches(secret:)`` compares digests in time independent of where they differ.
public struct APIKey: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// Hex SHA-256 of `"fedtop-serve-key-v1" ‖ secret`.
    public var sha256: String
    public var scopes: [APIScope]
    /// The key's token bucket: records per second and burst.
    public var recordsPerSecond: Double
    public var burst: Int
    /// The key's private-prediction budget (ε at δ).
    public var privateEpsilon: Double
    public var privateDelta: Double
    /// ISO 8601, when issued and (if) revoked.
    public var created: String
    public var revoked: String?

    public var isActive: Bool { revoked == nil }

    static let label = Array("fedtop-serve-key-v1".utf8)
    static let prefix = "fedtop_"

    /// The digest stored for `secret`.
    static func digest(secret: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: label + secret)) }

    /// Whether `secret` is this key's, compared over all 32 bytes whatever they hold.
    func matches(secret: [UInt8]) -> Bool {
        guard let stored = Hex.decode(sha256), stored.count == 32 else { return false }
        return Self.constantTimeEqual(stored, Self.digest(secret: secret))
    }

    /// Equal 32-byte strings, in time independent of their contents.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// `fedtop_<id>_<secret>` split into the id and the secret's bytes, or nil if it is not of that
    /// form (at most 128 characters are looked at).
    static func parse(token: Substring) -> (id: String, secret: [UInt8])? {
        guard token.utf8.count <= 128, token.hasPrefix(prefix) else { return nil }
        let rest = token.dropFirst(prefix.count)
        guard let underscore = rest.firstIndex(of: "_") else { return nil }
        let id = String(rest[..<underscore])
        guard id.utf8.count == 12, id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
              let secret = Base64URL.decode(rest[rest.index(after: underscore)...]), secret.count == 32 else { return nil }
        return (id, secret)
    }

    /// The token for `id` and `secret`.
    static func token(id: String, secret: [UInt8]) -> String { prefix + id + "_" + Base64URL.encode(secret) }
}

/// Unpadded base64url (RFC 4648 §5).
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of unpadded base64url text, or nil if a character is outside the alphabet or the length
    /// is impossible (4n+1). Written by hand: it runs on every request.
    static func decode(_ text: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0, bits = 0
        for c in text.utf8 {
            let v: UInt32
            switch c {
            case 0x41...0x5A: v = UInt32(c - 0x41)
            case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case 0x2D: v = 62
            case 0x5F: v = 63
            default: return nil
            }
            accumulator = (accumulator << 6) | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // The leftover bits must be zero: one text per byte string (4 spellings of a key would otherwise all work).
        guard bits < 6, text.utf8.count % 4 != 1, accumulator == 0 else { return nil }
        return out
    }
}
