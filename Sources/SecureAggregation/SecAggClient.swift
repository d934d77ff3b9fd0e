import Privacy
import Crypto

/// One hospital's side of a secure-aggregation session (Bonawitz et al. 2017, semi-honest server;
/// SecAgg+ neighbourhoods by Bell et al. 2020).
///
/// Contract:
/// - Calls come in protocol order — ``advertise()``, ``shareKeys(roster:)``, ``maskedInput(shares:)``,
///   ``unmask(_:)`` — each once; anything else is ``SecAggError/outOfOrder(_:)``.
/// - The input never leaves unmasked: the only vector sent is input + PRG(b) + Σ ±PRG(s_uv) mod 2³²
///   over the neighbours that shared keys.
/// - It checks what the aggregator sends: a roster with its own keys unchanged, no repeated id or key,
///   ids in the session; shares that authenticate from neighbours; an unmasking request whose
///   survivor and dropped lists are disjoint, cover every neighbour that shared keys, leave at least t of
///   its neighbourhood, and include itself among the survivors.
/// - It never reveals both the self-mask share and the mask-key share of one peer, and answers one
///   unmasking request only: a second (which could name a survivor as dropped) is refused.
/// - Key material comes from the kernel's secure source (swift-crypto's X25519 and the given secure
///   generator for the seed and the sharing polynomials).
// @unchecked: swift-crypto's X25519 private keys are immutable values not marked Sendable on Linux.
public struct SecAggClient: @unchecked Sendable {
    public let parameters: SecAggParameters
    public let participant: UInt32
    private var input: [UInt32]?
    private let encryptionKey = Curve25519.KeyAgreement.PrivateKey()
    private let maskingKey = Curve25519.KeyAgreement.PrivateKey()
    private var selfMaskSeed: [UInt8]
    private var generator: ChaCha20Generator
    private var stage = Stage.created
    private var session: [UInt8] = []
    private var roster: [UInt32: AdvertisedKeys] = [:]
    /// Shares held, by owner (including its own): its mask key's and its self-mask seed's.
    private var held: [UInt32: (maskKey: ShamirShare, selfMask: ShamirShare)] = [:]
    /// Neighbours whose shares arrived (U2 as this hospital saw it), and itself.
    private var sharedKeys: Set<UInt32> = []

    enum Stage { case created, advertised, shared, masked, unmasked }

    /// - Parameters:
    ///   - input: the quantised update (and weight), ``SecAggParameters/vectorLength`` words.
    ///   - generator: secure randomness for the self-mask seed and the sharing polynomials.
    public init(parameters: SecAggParameters, participant: UInt32, input: [UInt32], generator: ChaCha20Generator) throws(SecAggError) {
        guard parameters.includes(participant) else {
            throw .invalidConfiguration("participant \(participant) is not in the session's 1…\(parameters.graph.count)")
        }
        guard input.count == parameters.vectorLength else {
            throw .invalidConfiguration("input of \(input.count) words, the session expects \(parameters.vectorLength)")
        }
        self.parameters = parameters
        self.participant = participant
        self.input = input
        var generator = generator
        var seed: [UInt8] = []
        for _ in 0..<4 { seed += withUnsafeBytes(of: generator.next(), Array.init) }
        selfMaskSeed = seed
        self.generator = generator
    }

    private var neighbours: [UInt32] { parameters.graph.neighbours(of: participant) }

    /// Round 0.
    public mutating func advertise() throws(SecAggError) -> AdvertisedKeys {
        guard stage == .created else { throw .outOfOrder("keys already advertised") }
        stage = .advertised
        return AdvertisedKeys(participant: participant, encryptionKey: Array(encryptionKey.publicKey.rawRepresentation),
                              maskingKey: Array(maskingKey.publicKey.rawRepresentation))
    }

    /// Round 1: the roster of advertised keys (U1) → shares for each neighbour in it, sealed to it.
    public mutating func shareKeys(roster list: [AdvertisedKeys]) throws(SecAggError) -> [EncryptedShare] {
        guard stage == .advertised else { throw .outOfOrder("share keys before advertising or twice") }
        let ids = list.map(\.participant)
        guard Set(ids).count == ids.count else { throw .malformed("a roster that repeats a participant") }
        let keys = list.flatMap { [$0.encryptionKey, $0.maskingKey] }
        guard Set(keys).count == keys.count else { throw .malformed("a roster that repeats a public key") }
        guard list.allSatisfy({ parameters.includes($0.participant) && $0.encryptionKey.count == 32
                                && $0.maskingKey.count == 32 }) else {
            throw .malformed("a roster entry outside the session or with a key of the wrong size")
        }
        let mine = AdvertisedKeys(participant: participant, encryptionKey: Array(encryptionKey.publicKey.rawRepresentation),
                                  maskingKey: Array(maskingKey.publicKey.rawRepresentation))
        guard list.contains(mine) else { throw .malformed("a roster without this hospital's own keys") }
        for k in list { roster[k.participant] = k }
        let holders = parameters.graph.neighbourhood(of: participant).filter { roster[$0] != nil }
        guard holders.count >= parameters.threshold else {
            throw .belowThreshold(phase: .advertiseKeys, have: holders.count, need: parameters.threshold)
        }
        session = SessionKeys.sessionID(runID: parameters.runID, round: parameters.round,
                                        parameters: parameters.canonicalBytes, roster: list)
        let maskKeyShares = try ShamirSecretSharing.share(Array(maskingKey.rawRepresentation), threshold: parameters.threshold,
                                                          points: holders, using: &generator)
        let selfMaskShares = try ShamirSecretSharing.share(selfMaskSeed, threshold: parameters.threshold,
                                                           points: holders, using: &generator)
        var out: [EncryptedShare] = []
        for (k, holder) in holders.enumerated() {
            if holder == participant {
                held[participant] = (maskKeyShares[k], selfMaskShares[k])
                continue
            }
            let key = try SessionKeys.shareKey(encryptionKey, peerKey: roster[holder]!.encryptionKey, me: participant,
                                               peer: holder, session: session)
            let plaintext = ShareBundle.encode(maskKey: maskKeyShares[k].values, selfMask: selfMaskShares[k].values)
            out.append(EncryptedShare(from: participant, to: holder,
                                      ciphertext: try SessionKeys.seal(plaintext, key: key, from: participant, to: holder,
                                                                       session: session)))
        }
        stage = .shared
        return out
    }

    /// Round 2: the shares addressed to this hospital (their senders are U2) → the masked input.
    public mutating func maskedInput(shares: [EncryptedShare]) throws(SecAggError) -> MaskedInput {
        guard stage == .shared, var words = input else { throw .outOfOrder("masked input before sharing keys or twice") }
        let senders = shares.map(\.from)
        guard Set(senders).count == senders.count else { throw .malformed("two shares from one sender") }
        let neighbourSet = Set(neighbours)
        for s in shares {
            guard s.to == participant, neighbourSet.contains(s.from), let sender = roster[s.from] else {
                throw .malformed("a share from \(s.from) to \(s.to), not a neighbour's share for this hospital")
            }
            let key = try SessionKeys.shareKey(encryptionKey, peerKey: sender.encryptionKey, me: participant, peer: s.from,
                                               session: session)
            let plaintext = try SessionKeys.open(s.ciphertext, key: key, from: s.from, to: participant, session: session)
            let chunks = ShamirSecretSharing.chunkCount(byteCount: 32)
            guard let (maskKey, selfMask) = ShareBundle.decode(plaintext, chunks: chunks) else {
                throw .malformed("a share bundle from \(s.from) of the wrong size")
            }
            held[s.from] = (ShamirShare(point: participant, values: maskKey), ShamirShare(point: participant, values: selfMask))
        }
        sharedKeys = Set(senders).union([participant])
        guard sharedKeys.count >= parameters.threshold else {
            throw .belowThreshold(phase: .shareKeys, have: sharedKeys.count, need: parameters.threshold)
        }
        MaskExpansion.apply(seed: selfMaskSeed, domain: .selfMask, sign: 1, to: &words)
        for v in senders {
            let seed = try SessionKeys.pairwiseSeed(maskingKey, peerKey: roster[v]!.maskingKey, me: participant, peer: v,
                                                    session: session)
            MaskExpansion.apply(seed: seed, domain: .pairwiseMask, sign: SecAggClient.maskSign(owner: participant, peer: v),
                                to: &words)
        }
        input = nil
        stage = .masked
        return MaskedInput(participant: participant, words: words)
    }

    /// The sign with which `owner` adds the mask it shares with `peer`: + below, − above, so each pair cancels.
    public static func maskSign(owner: UInt32, peer: UInt32) -> Int { owner < peer ? 1 : -1 }

    /// Round 4.
    public mutating func unmask(_ request: UnmaskingRequest) throws(SecAggError) -> UnmaskingResponse {
        guard stage == .masked else {
            throw stage == .unmasked ? .refused("a second unmasking request for this session")
                                     : .outOfOrder("unmasking before masked input")
        }
        let survivors = Set(request.survivors), dropped = Set(request.dropped)
        guard survivors.count == request.survivors.count, dropped.count == request.dropped.count else {
            throw .refused("an unmasking request that repeats a participant")
        }
        guard survivors.isDisjoint(with: dropped) else {
            throw .refused("an unmasking request that names \(survivors.intersection(dropped).sorted()) both surviving and dropped")
        }
        guard survivors.contains(participant) else { throw .refused("an unmasking request that counts this hospital as dropped") }
        let mine = sharedKeys
        guard survivors.union(dropped).isSuperset(of: mine) else {
            throw .refused("an unmasking request that leaves out neighbours that shared keys")
        }
        guard survivors.union(dropped).subtracting(mine).isDisjoint(with: Set(parameters.graph.neighbourhood(of: participant))) else {
            throw .refused("an unmasking request naming a neighbour that never shared keys")
        }
        let alive = mine.intersection(survivors)
        guard alive.count >= parameters.threshold else {
            throw .belowThreshold(phase: .unmasking, have: alive.count, need: parameters.threshold)
        }
        stage = .unmasked  // whatever happens next, never answer again
        var selfMask: [HeldShare] = [], maskKey: [HeldShare] = []
        for owner in mine.sorted() {
            guard let h = held[owner] else { continue }
            if survivors.contains(owner) {
                selfMask.append(HeldShare(owner: owner, share: h.selfMask))
            } else {
                maskKey.append(HeldShare(owner: owner, share: h.maskKey))
            }
        }
        return UnmaskingResponse(participant: participant, selfMaskShares: selfMask, maskKeyShares: maskKey)
    }
}

/// The plaintext of a sealed share: the chunk count, then the mask key's share values, then the
/// self-mask seed's, little-endian.
enum ShareBundle {
    static func encode(maskKey: [UInt64], selfMask: [UInt64]) -> [UInt8] {
        var out = withUnsafeBytes(of: UInt16(maskKey.count).littleEndian, Array.init)
        for v in maskKey + selfMask { out += withUnsafeBytes(of: v.littleEndian, Array.init) }
        return out
    }

    static func decode(_ bytes: [UInt8], chunks: Int) -> ([UInt64], [UInt64])? {
        guard bytes.count == 2 + 16 * chunks, Int(bytes[0]) | Int(bytes[1]) << 8 == chunks else { return nil }
        let values = (0..<(2 * chunks)).map { i in
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[2 + 8 * i + $1]) << (8 * UInt64($1)) }
        }
        guard values.allSatisfy({ $0 < PrimeField.p }) else { return nil }
        return (Array(values[..<chunks]), Array(values[chunks...]))
    }
}
