import Crypto
import _CryptoExtras

/// The mask PRG: a 256-bit seed expanded into d uniform words of Z/2³² by the ChaCha20 keystream
/// (RFC 8439; BoringSSL's implementation through swift-crypto), as Bonawitz et al. 2017's PRG.
///
/// Contract: the same seed and domain give the same words on every machine (little-endian words of
/// the keystream from block 0, nonce = the domain); different domains give independent streams, so a
/// self-mask and a pairwise mask never share a keystream even from equal seeds. Masks are added or
/// subtracted in place modulo 2³² (wrapping arithmetic).
public enum MaskExpansion {
    /// Separates the streams expanded from one seed.
    public enum Domain: UInt8, Sendable {
        case selfMask = 1
        case pairwiseMask = 2
    }

    /// Adds (`sign` = +1) or subtracts (−1) PRG(seed) to `words`, modulo 2³².
    public static func apply(seed: [UInt8], domain: Domain, sign: Int, to words: inout [UInt32]) {
        precondition(seed.count == 32, "MaskExpansion: a 256-bit seed")
        let count = words.count
        guard count > 0 else { return }
        var nonce = [UInt8](repeating: 0, count: 12)
        nonce[0] = domain.rawValue
        // Blocks of 64 bytes; one call covers up to 2³² blocks (far beyond any model).
        let zeros = [UInt8](repeating: 0, count: count * 4)
        let keystream = try! Insecure.ChaCha20CTR.encrypt(  // sizes are fixed above: cannot fail
            zeros, using: SymmetricKey(data: seed), counter: try! .init(data: [0, 0, 0, 0]),
            nonce: try! .init(data: nonce))
        keystream.withUnsafeBytes { raw in
            words.withUnsafeMutableBufferPointer { out in
                if sign >= 0 {
                    for i in 0..<count { out[i] &+= raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian }
                } else {
                    for i in 0..<count { out[i] &-= raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian }
                }
            }
        }
    }
}
