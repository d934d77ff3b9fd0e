import Crypto

/// The aggregator's side of a secure-aggregation session (Bonawitz et al. 2017; SecAgg+ by Bell et
/// al. 2020): it relays sealed shares, sums masked inputs and removes the masks with the shares the
/// survivors reveal, learning the sum of the surviving hospitals' inputs and nothing else.
///
/// Contract:
/// - One call closes each phase with what arrived before its deadline; hospitals missing from it
///   are dropouts. Each phase needs t within every neighbourhood that still matters, otherwise it
///   throws ``SecAggError/belowThreshold(phase:have:need:)``: the round aborts with no aggregate and
///   no unmasking request is ever sent (so nothing is revealed).
/// - Messages are checked against the session (ids, sizes, order); a malformed one counts its sender
///   as dropped.
/// - ``finish(_:)`` returns Σ inputs of the survivors of masked input collection, modulo 2³².
public struct SecAggServer: Sendable {
    public let parameters: SecAggParameters
    /// U1, U2, U3, U5 of the paper: who advertised keys, shared keys, sent masked input, unmasked.
    public private(set) var advertised: [UInt32: AdvertisedKeys] = [:]
    public private(set) var shared: Set<UInt32> = []
    public private(set) var masked: Set<UInt32> = []
    public private(set) var unmasked: Set<UInt32> = []
    private var maskedSum: [UInt32] = []
    private var phase: SecAggPhase? = nil

    public init(parameters: SecAggParameters) {
        self.parameters = parameters
    }

    private var t: Int { parameters.threshold }

    /// Round 0 closes: the roster sent to every hospital that advertised.
    public mutating func closeAdvertisement(_ received: [AdvertisedKeys]) throws(SecAggError) -> [AdvertisedKeys] {
        guard phase == nil else { throw .outOfOrder("advertisement closed twice") }
        phase = .advertiseKeys
        var seenKeys = Set<[UInt8]>()
        for k in received where parameters.includes(k.participant) && advertised[k.participant] == nil
            && k.encryptionKey.count == 32 && k.maskingKey.count == 32
            && seenKeys.insert(k.encryptionKey).inserted && seenKeys.insert(k.maskingKey).inserted {
            advertised[k.participant] = k
        }
        try require(Set(advertised.keys), at: .advertiseKeys)
        return advertised.values.sorted { $0.participant < $1.participant }
    }

    /// Round 1 closes: each sender's sealed shares → the shares to forward to each hospital.
    public mutating func closeSharing(_ received: [UInt32: [EncryptedShare]]) throws(SecAggError) -> [UInt32: [EncryptedShare]] {
        guard phase == .advertiseKeys else { throw .outOfOrder("sharing closed before advertisement") }
        phase = .shareKeys
        for (sender, shares) in received where advertised[sender] != nil {
            let expected = Set(parameters.graph.neighbours(of: sender).filter { advertised[$0] != nil })
            let addressed = shares.map(\.to)
            // A sender must share with every advertised neighbour, once each, as itself.
            if shares.allSatisfy({ $0.from == sender }), Set(addressed) == expected, addressed.count == expected.count {
                shared.insert(sender)
            }
        }
        try require(shared, at: .shareKeys)
        var routed: [UInt32: [EncryptedShare]] = [:]
        for sender in shared.sorted() {
            for s in received[sender]! where shared.contains(s.to) { routed[s.to, default: []].append(s) }
        }
        for id in shared where routed[id] == nil { routed[id] = [] }
        return routed
    }

    /// Round 2 closes: the masked inputs are summed → the unmasking request for the survivors.
    public mutating func closeMasking(_ received: [MaskedInput]) throws(SecAggError) -> UnmaskingRequest {
        guard phase == .shareKeys else { throw .outOfOrder("masking closed before sharing") }
        phase = .maskedInput
        maskedSum = [UInt32](repeating: 0, count: parameters.vectorLength)
        for m in received where shared.contains(m.participant) && !masked.contains(m.participant)
            && m.words.count == parameters.vectorLength {
            masked.insert(m.participant)
            m.words.withUnsafeBufferPointer { w in
                maskedSum.withUnsafeMutableBufferPointer { s in for i in 0..<w.count { s[i] &+= w[i] } }
            }
        }
        try require(masked, at: .maskedInput)
        return UnmaskingRequest(survivors: masked.sorted(), dropped: shared.subtracting(masked).sorted())
    }

    /// Round 4 closes: the survivors' shares → Σ inputs of the masked-input survivors, mod 2³².
    public mutating func finish(_ responses: [UnmaskingResponse]) throws(SecAggError) -> [UInt32] {
        guard phase == .maskedInput else { throw .outOfOrder("unmasking closed before masked input") }
        phase = .unmasking
        let dropped = shared.subtracting(masked)
        var selfShares: [UInt32: [ShamirShare]] = [:], keyShares: [UInt32: [ShamirShare]] = [:]
        for r in responses where masked.contains(r.participant) && !unmasked.contains(r.participant) {
            let holds = Set(parameters.graph.neighbourhood(of: r.participant))
            guard r.selfMaskShares.allSatisfy({ masked.contains($0.owner) && holds.contains($0.owner) && $0.share.point == r.participant }),
                  r.maskKeyShares.allSatisfy({ dropped.contains($0.owner) && holds.contains($0.owner) && $0.share.point == r.participant })
            else { continue }
            unmasked.insert(r.participant)
            for s in r.selfMaskShares { selfShares[s.owner, default: []].append(s.share) }
            for s in r.maskKeyShares { keyShares[s.owner, default: []].append(s.share) }
        }
        try require(unmasked, at: .unmasking)
        var sum = maskedSum
        // Remove each survivor's self mask.
        for u in masked.sorted() {
            let seed = try reconstruct(selfShares[u] ?? [], owner: u)
            MaskExpansion.apply(seed: seed, domain: .selfMask, sign: -1, to: &sum)
        }
        // Remove the masks survivors share with hospitals that dropped after sharing keys.
        for v in dropped.sorted() {
            let raw = try reconstruct(keyShares[v] ?? [], owner: v)
            guard let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw),
                  Array(key.publicKey.rawRepresentation) == advertised[v]?.maskingKey else {
                throw .malformed("shares of \(v)'s mask key that do not match its advertised key")
            }
            let session = sessionID
            for u in parameters.graph.neighbours(of: v) where masked.contains(u) {
                let seed = try SessionKeys.pairwiseSeed(key, peerKey: advertised[u]!.maskingKey, me: v, peer: u, session: session)
                MaskExpansion.apply(seed: seed, domain: .pairwiseMask, sign: -SecAggClient.maskSign(owner: u, peer: v), to: &sum)
            }
        }
        return sum
    }

    private var sessionID: [UInt8] {
        SessionKeys.sessionID(runID: parameters.runID, round: parameters.round, parameters: parameters.canonicalBytes,
                              roster: advertised.values.sorted { $0.participant < $1.participant })
    }

    private func reconstruct(_ shares: [ShamirShare], owner: UInt32) throws(SecAggError) -> [UInt8] {
        guard shares.count >= t else { throw .belowThreshold(phase: .unmasking, have: shares.count, need: t) }
        return try ShamirSecretSharing.reconstruct(shares, threshold: t, byteCount: 32)
    }

    /// Each phase needs ≥ t of the parties left overall and, in a sparse graph, within the
    /// neighbourhood of every party whose secret will have to be reconstructed.
    private func require(_ alive: Set<UInt32>, at phase: SecAggPhase) throws(SecAggError) {
        guard alive.count >= t else { throw .belowThreshold(phase: phase, have: alive.count, need: t) }
        guard !parameters.graph.isComplete else { return }
        for id in alive {
            let n = parameters.graph.neighbourhood(of: id).filter(alive.contains).count
            if n < t { throw .belowThreshold(phase: phase, have: n, need: t) }
        }
    }

    /// Counts per phase, for the console.
    public var counts: [SecAggPhase: Int] {
        [.advertiseKeys: advertised.count, .shareKeys: shared.count, .maskedInput: masked.count, .unmasking: unmasked.count]
    }
}
