import Foundation
import Testing
@testable import Federation

@Suite("Checkpoint encryption")
struct CheckpointEncryptionTests {
    @Test("the key is read as 64 hex digits or base64 of 32 bytes, with whitespace ignored, to the same key")
    func keySpellings() throws {
        let fromHex = try CheckpointEncryption.fromEnvironment(["FEDTOP_CHECKPOINT_KEY": TestKey.hex])
        let fromUpperHex = try CheckpointEncryption(keyText: " " + TestKey.hex.uppercased() + "\n")
        let fromBase64 = try CheckpointEncryption.fromEnvironment(["FEDTOP_CHECKPOINT_KEY": TestKey.base64])
        let sealed = try fromHex.seal(Array("weights".utf8))
        #expect(try fromBase64.open(sealed, path: "p") == Array("weights".utf8))
        #expect(try fromUpperHex.open(sealed, path: "p") == Array("weights".utf8))
    }

    @Test("a missing or malformed key is an error naming the variable and never echoing the value")
    func badKeys() throws {
        #expect(throws: CheckpointError.encryptionKeyMissing(variable: "FEDTOP_CHECKPOINT_KEY")) {
            try CheckpointEncryption.fromEnvironment([:])
        }
        let secretish = String(repeating: "ab", count: 31)  // 62 hex digits: 31 bytes
        for text in ["", secretish, Data(repeating: 7, count: 16).base64EncodedString(), "zz" + secretish] {
            do {
                _ = try CheckpointEncryption.fromEnvironment(["FEDTOP_CHECKPOINT_KEY": text])
                Issue.record("key \(text.count) characters long accepted")
            } catch {
                guard case .encryptionKeyMalformed(variable: "FEDTOP_CHECKPOINT_KEY", _) = error else {
                    Issue.record("\(error)"); continue
                }
                #expect(error.description.contains("FEDTOP_CHECKPOINT_KEY"))
                if !text.isEmpty { #expect(!error.description.contains(text)) }
            }
        }
    }

    @Test("sealing uses a fresh nonce each time, and any changed byte fails to open")
    func sealing() throws {
        let key = try CheckpointEncryption(key: TestKey.bytes)
        let message = Array("model bytes".utf8)
        let a = try key.seal(message), b = try key.seal(message)
        #expect(a != b && a.count == message.count + 28)
        for index in [0, 12, a.count - 1] {
            var damaged = a
            damaged[index] ^= 1
            #expect(throws: CheckpointError.decryptionFailed(path: "f", variable: "FEDTOP_CHECKPOINT_KEY")) {
                try key.open(damaged, path: "f")
            }
        }
        #expect(throws: CheckpointError.decryptionFailed(path: "f", variable: "FEDTOP_CHECKPOINT_KEY")) {
            try key.open(Array(a.prefix(20)), path: "f")
        }
    }
}
