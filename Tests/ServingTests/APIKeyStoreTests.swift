import Foundation
import Testing
import TensorCore
@testable import Serving

@Suite("API keys: hashed, compared in constant time, never an open door")
struct APIKeyStoreTests {
    func issue(_ s: ServingScratch, name: String = "triage-app", scopes: [APIScope] = [.predict]) throws -> (store: APIKeyStore, key: APIKey, token: String) {
        var store = try APIKeyStore.open(path: s.path("keys.json"))
        let (key, token) = try store.add(name: name, scopes: scopes, recordsPerSecond: 50, burst: 100, privateEpsilon: 4, privateDelta: 1e-6)
        return (store, key, token)
    }

    @Test("an issued token authenticates; the file holds its digest, not the secret, with mode 0600")
    func issueAndAuthenticate() throws {
        let s = try ServingScratch(); defer { s.remove() }
        let (_, key, token) = try issue(s)
        let store = try APIKeyStore.load(path: s.path("keys.json"))
        #expect(store.authenticate(token: token[...]) == key)
        let text = try String(contentsOfFile: s.path("keys.json"), encoding: .utf8)
        let secret = String(token.split(separator: "_").last!)
        #expect(!text.contains(secret) && text.contains(key.sha256))
        #expect(try FileManager.default.attributesOfItem(atPath: s.path("keys.json"))[.posixPermissions] as? Int == 0o600)
    }

    @Test("attacker's tokens: wrong secret, unknown id, revoked key, malformed, overlong, empty — all refused")
    func refusals() throws {
        let s = try ServingScratch(); defer { s.remove() }
        var (store, key, token) = try issue(s)
        let other = try issue(s, name: "other").token
        var wrong = Array(token.utf8)
        wrong[wrong.count - 3] = wrong[wrong.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let id = key.id
        let forged = "fedtop_\(id)_" + String(other.split(separator: "_").last!)
        for bad in [String(decoding: wrong, as: UTF8.self), "fedtop_000000000000_" + String(token.split(separator: "_").last!), forged,
                    "", "fedtop_", "fedtop_\(id)_", "Bearer " + token, token + "x", String(repeating: "a", count: 10_000), token.uppercased()] {
            #expect(store.authenticate(token: bad[...]) == nil, "\(bad.prefix(40))")
        }
        store = try APIKeyStore.open(path: s.path("keys.json"))
        try store.revoke(id: id)
        let reloaded = try APIKeyStore.load(path: s.path("keys.json"))
        #expect(reloaded.authenticate(token: token[...]) == nil)
        #expect(reloaded.keys.first { $0.id == id }?.revoked != nil)
        #expect(throws: APIKeyStoreError.unknownKey(path: s.path("keys.json"), id: "ffffffffffff")) { try store.revoke(id: "ffffffffffff") }
    }

    @Test("the server refuses to start on a missing file, an exposed one, an empty one, one without active keys, or an empty digest")
    func refusesToStart() throws {
        let s = try ServingScratch(); defer { s.remove() }
        let path = s.path("keys.json")
        #expect(throws: APIKeyStoreError.missing(path: path)) { try APIKeyStore.load(path: path) }
        var (store, key, _) = try issue(s)
        chmod(path, 0o644)
        #expect(throws: APIKeyStoreError.exposed(path: path, mode: 0o644)) { try APIKeyStore.load(path: path) }
        chmod(path, 0o600)
        try store.revoke(id: key.id)
        #expect(throws: APIKeyStoreError.noActiveKey(path: path)) { try APIKeyStore.load(path: path) }
        for text in ["", "{}", "{\"format\":\"fedtop-serve-keys/1\",\"keys\":[]}",
                     "{\"format\":\"fedtop-serve-keys/1\",\"keys\":[{\"id\":\"0123456789ab\",\"name\":\"x\",\"sha256\":\"\",\"scopes\":[\"predict\"],\"recordsPerSecond\":1,\"burst\":1,\"privateEpsilon\":0,\"privateDelta\":1e-6,\"created\":\"\"}]}",
                     "{\"format\":\"fedtop-serve-keys/1\",\"keys\":[{\"id\":\"0123456789ab\",\"name\":\"x\",\"sha256\":\"\(String(repeating: "0", count: 64))\",\"scopes\":[\"predict\"],\"recordsPerSecond\":1,\"burst\":1,\"privateEpsilon\":0,\"privateDelta\":1e-6,\"created\":\"\"}]}"] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o600)
            #expect(throws: APIKeyStoreError.self, "\(text.prefix(60))") { try APIKeyStore.load(path: path) }
        }
        _ = store
    }

    @Test("a key with both predict and private, or limits out of range, is refused")
    func refusesUnsafeKeys() throws {
        let s = try ServingScratch(); defer { s.remove() }
        var store = try APIKeyStore.open(path: s.path("keys.json"))
        #expect(throws: APIKeyStoreError.self) {
            try store.add(name: "both", scopes: [.predict, .private], recordsPerSecond: 1, burst: 1, privateEpsilon: 1, privateDelta: 1e-6)
        }
        for (rate, burst) in [(1e-20, 1), (1.0, 0), (1.0, Int(Int32.max) + 1), (2e6, 1)] {
            #expect(throws: APIKeyStoreError.self) {
                try store.add(name: "x", scopes: [.predict], recordsPerSecond: rate, burst: burst, privateEpsilon: 0, privateDelta: 1e-6)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: s.path("keys.json")))
    }

    @Test("a key's digest is SHA-256 of the label and the secret, as Python's hashlib computes it")
    func digestReference() throws {
        // python3 -c "import hashlib; print(hashlib.sha256(b'fedtop-serve-key-v1' + bytes(range(32))).hexdigest())"
        #expect(Hex.encode(APIKey.digest(secret: Array(0..<32))) == "4296dec7e04fd242517234cd539e42c49f14185bbd4daa5db09b6ebc512be9b8")
        #expect(Hex.encode(APIKey.digest(secret: [])) == "9ed3342f14aabee572b3a57b53b5d68680bf4efba0a3fcc0272b31a860fccfa5")
        let key = APIKey(id: "0123456789ab", name: "k", sha256: "4296dec7e04fd242517234cd539e42c49f14185bbd4daa5db09b6ebc512be9b8",
                         scopes: [.predict], recordsPerSecond: 1, burst: 1, privateEpsilon: 0, privateDelta: 1e-6, created: "", revoked: nil)
        #expect(key.matches(secret: Array(0..<32)))
        var other = Array(UInt8(0)..<32)
        other[17] ^= 1
        #expect(!key.matches(secret: other) && !key.matches(secret: Array(0..<31)))
    }

    @Test("equal and unequal digests compare alike: every byte is visited")
    func constantTime() {
        let a = [UInt8](repeating: 7, count: 32)
        var b = a
        #expect(APIKey.constantTimeEqual(a, b))
        b[31] ^= 1
        #expect(!APIKey.constantTimeEqual(a, b))
        b = a
        b[0] ^= 0x80
        #expect(!APIKey.constantTimeEqual(a, b) && !APIKey.constantTimeEqual(a, Array(a.prefix(31))))
    }
}
