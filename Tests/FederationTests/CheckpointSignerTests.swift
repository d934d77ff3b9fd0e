import Crypto
import Foundation
import Testing
@testable import Federation

@Suite("Checkpoint signer")
struct CheckpointSignerTests {
    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
    }

    @Test("a new run's key is signing.key with mode 0600 (raw 32 bytes) and signing.pub (raw 32 bytes)")
    func create() throws {
        let directory = try makeRunDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let signer = try CheckpointSigner.create(inRunDirectory: directory)
        let keyPath = directory + "/signing.key"
        #expect(try mode(keyPath) == 0o600)
        let key = try Data(contentsOf: URL(fileURLWithPath: keyPath))
        let publicKey = try Data(contentsOf: URL(fileURLWithPath: directory + "/signing.pub"))
        #expect(key.count == 32 && Array(publicKey) == signer.publicKey)
        #expect(try Curve25519.Signing.PrivateKey(rawRepresentation: key).publicKey.rawRepresentation == publicKey)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["signing.key", "signing.pub"])
    }

    @Test("resuming loads the same key; a new run never replaces an existing key")
    func loadAndNoReplace() throws {
        let directory = try makeRunDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let created = try CheckpointSigner.create(inRunDirectory: directory)
        let loaded = try CheckpointSigner.load(runDirectory: directory)
        #expect(loaded.fingerprint == created.fingerprint && loaded.publicKey == created.publicKey)
        let before = try Data(contentsOf: URL(fileURLWithPath: directory + "/signing.key"))
        #expect(throws: CheckpointError.signingKeyExists(path: directory + "/signing.key")) {
            try CheckpointSigner.create(inRunDirectory: directory)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/signing.key")) == before)
    }

    @Test("a missing, wrongly sized or exposed key is a hard error naming the file")
    func refusals() throws {
        let directory = try makeRunDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/signing.key"
        #expect(throws: CheckpointError.signingKeyMissing(path: path)) { try CheckpointSigner.load(runDirectory: directory) }
        #expect(CheckpointError.signingKeyMissing(path: path).description.contains(path))

        _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 1, count: 31),
                                       attributes: [.posixPermissions: 0o600])
        #expect(throws: CheckpointError.signingKeyMalformed(path: path, byteCount: 31)) {
            try CheckpointSigner.load(from: path)
        }

        try Data(repeating: 1, count: 32).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: CheckpointError.signingKeyExposed(path: path, mode: 0o644)) { try CheckpointSigner.load(from: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try CheckpointSigner.load(from: path).publicKey.count == 32)
    }
}
