import Crypto

/// The key derivations of one secure-aggregation session.
///
/// - The session id is SHA-256 over a label, the run, the round, the protocol parameters and the
///   whole roster of advertised keys in participant order: every later key is bound to it, so keys
///   from another round, run or roster never combine.
/// - A pairwise mask seed is HKDF-SHA256 (RFC 5869) of the X25519 agreement of two masking keys,
///   salted with the session id, with the two ids in order as info: 256 bits.
/// - A share-encryption key is HKDF-SHA256 of the agreement of two encryption keys, salted with the
///   session id, for ChaChaPoly (RFC 8439 AEAD), the sender and receiver ids bound as associated data.
public enum SessionKeys {
    public static func sessionID(runID: String, round: Int, parameters: [UInt8], roster: [AdvertisedKeys]) -> [UInt8] {
        var h = SHA256()
        func put(_ bytes: [UInt8]) {
            h.update(data: withUnsafeBytes(of: UInt32(bytes.count).littleEndian, Array.init))
            h.update(data: bytes)
        }
        put(Array("fedtop.secagg.v1".utf8))
        put(Array(runID.utf8))
        put(withUnsafeBytes(of: Int64(round).littleEndian, Array.init))
        put(parameters)
        for k in roster.sorted(by: { $0.participant < $1.participant }) {
            put(withUnsafeBytes(of: k.participant.littleEndian, Array.init))
            put(k.encryptionKey)
            put(k.maskingKey)
        }
        return Array(h.finalize())
    }

    static func agree(_ privateKey: Curve25519.KeyAgreement.PrivateKey, _ publicKey: [UInt8]) throws(SecAggError) -> SharedSecret {
        do {
            let peer = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: publicKey)
            return try privateKey.sharedSecretFromKeyAgreement(with: peer)
        } catch {
            throw .malformed("an X25519 public key that does not agree")
        }
    }

    static func ordered(_ a: UInt32, _ b: UInt32) -> [UInt8] {
        withUnsafeBytes(of: min(a, b).littleEndian, Array.init) + withUnsafeBytes(of: max(a, b).littleEndian, Array.init)
    }

    /// s_uv: the pairwise mask seed of `me` and `peer` (symmetric).
    public static func pairwiseSeed(_ privateKey: Curve25519.KeyAgreement.PrivateKey, peerKey: [UInt8], me: UInt32,
                                    peer: UInt32, session: [UInt8]) throws(SecAggError) -> [UInt8] {
        let secret = try agree(privateKey, peerKey)
        let key = secret.hkdfDerivedSymmetricKey(using: SHA256.self, salt: session,
                                                 sharedInfo: Array("fedtop.secagg.mask".utf8) + ordered(me, peer),
                                                 outputByteCount: 32)
        return key.withUnsafeBytes { Array($0) }
    }

    /// The ChaChaPoly key between two parties' encryption keys (symmetric).
    static func shareKey(_ privateKey: Curve25519.KeyAgreement.PrivateKey, peerKey: [UInt8], me: UInt32, peer: UInt32,
                         session: [UInt8]) throws(SecAggError) -> SymmetricKey {
        let secret = try agree(privateKey, peerKey)
        return secret.hkdfDerivedSymmetricKey(using: SHA256.self, salt: session,
                                              sharedInfo: Array("fedtop.secagg.shares".utf8) + ordered(me, peer),
                                              outputByteCount: 32)
    }

    static func associatedData(from: UInt32, to: UInt32, session: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: from.littleEndian, Array.init) + withUnsafeBytes(of: to.littleEndian, Array.init) + session
    }

    /// Encrypts a share bundle from `from` to `to`.
    static func seal(_ plaintext: [UInt8], key: SymmetricKey, from: UInt32, to: UInt32, session: [UInt8]) throws(SecAggError) -> [UInt8] {
        do {
            let box = try ChaChaPoly.seal(plaintext, using: key,
                                          authenticating: associatedData(from: from, to: to, session: session))
            return Array(box.combined)
        } catch {
            throw .malformed("share encryption failed")
        }
    }

    /// Decrypts and authenticates a share bundle from `from` to `to`.
    static func open(_ ciphertext: [UInt8], key: SymmetricKey, from: UInt32, to: UInt32, session: [UInt8]) throws(SecAggError) -> [UInt8] {
        do {
            let box = try ChaChaPoly.SealedBox(combined: ciphertext)
            return Array(try ChaChaPoly.open(box, using: key,
                                             authenticating: associatedData(from: from, to: to, session: session)))
        } catch {
            throw .malformed("a share from \(from) that does not authenticate")
        }
    }
}
