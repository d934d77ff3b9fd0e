import Crypto
import Federation
import Foundation
import SecureAggregation

/// The console's Ed25519 signature over one step of a secure-aggregation session (ShareKeys,
/// MaskedInput, Unmask), so only the holder of the model-signing key can move a session on.
///
/// Contract:
/// - The signed message is the SHA-256 digest of canonical bytes (the `.proto`'s `SecureStep`): the
///   ASCII tag `fedtop-secagg-step-v1`, the step's name, the console's run id, the session id, the
///   round, a fresh nonce, then the step's payload (the roster; the shares; the survivors and the
///   dropped), in ``CanonicalBytes``' encoding. A signature for one step, session, round or payload
///   does not verify for another.
/// - The nonce is checked for replay by the hospital with the models' nonces.
public struct SecureStepSignature: Sendable {
    /// The three steps after secure training.
    public enum Step: String, Sendable {
        case shareKeys = "share-keys"
        case maskedInput = "masked-input"
        case unmask
    }

    /// A step's payload, as signed.
    public enum Payload: Sendable {
        case roster([AdvertisedKeys])
        case shares([EncryptedShare])
        case unmasking(UnmaskingRequest)

        var step: Step {
            switch self {
            case .roster: .shareKeys
            case .shares: .maskedInput
            case .unmasking: .unmask
            }
        }
    }

    public var runID: String
    public var sessionID: String
    public var round: Int
    public var nonce: [UInt8]
    public var payload: Payload

    public init(runID: String, sessionID: String, round: Int, nonce: [UInt8], payload: Payload) {
        self.runID = runID
        self.sessionID = sessionID
        self.round = round
        self.nonce = nonce
        self.payload = payload
    }

    /// The SHA-256 digest of the canonical bytes.
    public var digest: [UInt8] {
        var b = CanonicalBytes()
        b.append(string: "fedtop-secagg-step-v1")
        b.append(string: payload.step.rawValue)
        b.append(string: runID)
        b.append(string: sessionID)
        b.append(unsigned: round)
        b.append(bytes: nonce)
        switch payload {
        case .roster(let roster):
            b.append(unsigned: roster.count)
            for k in roster {
                b.append(unsigned: k.participant)
                b.append(bytes: k.encryptionKey)
                b.append(bytes: k.maskingKey)
            }
        case .shares(let shares):
            b.append(unsigned: shares.count)
            for s in shares {
                b.append(unsigned: s.from)
                b.append(unsigned: s.to)
                b.append(bytes: s.ciphertext)
            }
        case .unmasking(let request):
            b.append(unsigned: request.survivors.count)
            for id in request.survivors { b.append(unsigned: id) }
            b.append(unsigned: request.dropped.count)
            for id in request.dropped { b.append(unsigned: id) }
        }
        return Array(SHA256.hash(data: b.bytes))
    }

    public func sign(with key: ModelSigningKey) -> [UInt8] { key.signature(for: digest) }

    public func verify(_ signature: [UInt8], with key: ModelVerifyingKey) -> Bool {
        signature.count == 64 && key.isValidSignature(signature, for: digest)
    }
}
