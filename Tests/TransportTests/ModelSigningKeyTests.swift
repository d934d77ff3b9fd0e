import TensorCore
import Crypto
import Testing
@testable import Transport

@Suite("Model-signing keys (Ed25519, PEM)")
struct ModelSigningKeyTests {
    /// RFC 8032 §7.1, test 1 (a published test vector, not a credential), as `openssl pkey` writes its key pair.
    static let privatePEM = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
        -----END PRIVATE KEY-----

        """
    static let publicPEM = """
        -----BEGIN PUBLIC KEY-----
        MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
        -----END PUBLIC KEY-----

        """
    static let signatureOfEmpty = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

    @Test("reads and writes OpenSSL's PEM forms byte for byte and signs as RFC 8032 test 1")
    func rfc8032Vector() throws {
        let key = try ModelSigningKey(pemRepresentation: Self.privatePEM)
        #expect(key.pemRepresentation == Self.privatePEM)
        #expect(key.verifyingKey.pemRepresentation == Self.publicPEM)
        #expect(try ModelVerifyingKey(pemRepresentation: Self.publicPEM) == key.verifyingKey)
        #expect(hex(key.verifyingKey.rawRepresentation) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let signature = key.signature(for: [UInt8]())
        #expect(hex(signature) == Self.signatureOfEmpty)
        #expect(key.verifyingKey.isValidSignature(signature, for: [UInt8]()))
    }

    @Test("a fresh key round-trips through PEM; a changed message or signature, or another key, does not verify")
    func roundTripAndTampering() throws {
        let key = ModelSigningKey()
        let again = try ModelSigningKey(pemRepresentation: key.pemRepresentation)
        #expect(again.verifyingKey == key.verifyingKey)
        let model = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var signature = key.signature(for: model)
        #expect(signature.count == 64)
        let verifying = try ModelVerifyingKey(pemRepresentation: key.verifyingKey.pemRepresentation)
        #expect(verifying.isValidSignature(signature, for: model))
        var changed = model
        changed[500] ^= 1
        #expect(!verifying.isValidSignature(signature, for: changed))
        #expect(!ModelSigningKey().verifyingKey.isValidSignature(signature, for: model))
        signature[0] ^= 0x80
        #expect(!verifying.isValidSignature(signature, for: model))
        #expect(verifying.fingerprint.count == 64)
    }

    @Test("other PEM contents are refused with the reason")
    func refusesOthers() {
        #expect(throws: ModelKeyError(reason: "not a PEM document (expected -----BEGIN PRIVATE KEY-----)")) {
            try ModelSigningKey(pemRepresentation: "garbage")
        }
        #expect(throws: ModelKeyError(reason: "a PEM PUBLIC KEY, expected a PEM PRIVATE KEY")) {
            try ModelSigningKey(pemRepresentation: Self.publicPEM)
        }
        #expect(throws: ModelKeyError(reason: "a PEM PRIVATE KEY, expected a PEM PUBLIC KEY")) {
            try ModelVerifyingKey(pemRepresentation: Self.privatePEM)
        }
        // A P-256 key in PKCS#8 is a PRIVATE KEY, but not an Ed25519 one.
        let p256 = P256.Signing.PrivateKey().pemRepresentation
        #expect(throws: ModelKeyError(reason: "not an Ed25519 private key in PKCS#8 (RFC 8410) form")) {
            try ModelSigningKey(pemRepresentation: p256)
        }
    }

    func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }
}
