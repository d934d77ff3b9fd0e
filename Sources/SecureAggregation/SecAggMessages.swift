/// Round 0: a hospital's two X25519 public keys for one session (Bonawitz et al. 2017, §4).
public struct AdvertisedKeys: Sendable, Equatable, Hashable {
    public var participant: UInt32
    /// c_pk: agrees the keys that encrypt shares between hospitals.
    public var encryptionKey: [UInt8]
    /// s_pk: agrees the pairwise mask seeds.
    public var maskingKey: [UInt8]

    public init(participant: UInt32, encryptionKey: [UInt8], maskingKey: [UInt8]) {
        self.participant = participant
        self.encryptionKey = encryptionKey
        self.maskingKey = maskingKey
    }
}

/// Round 1: Shamir shares of the sender's mask key and self-mask seed, sealed (ChaChaPoly) for one
/// receiver; the aggregator relays it and cannot read it.
public struct EncryptedShare: Sendable, Equatable, Hashable {
    public var from: UInt32
    public var to: UInt32
    /// nonce ‖ ciphertext ‖ tag.
    public var ciphertext: [UInt8]

    public init(from: UInt32, to: UInt32, ciphertext: [UInt8]) {
        self.from = from
        self.to = to
        self.ciphertext = ciphertext
    }
}

/// Round 2: a hospital's input plus its self mask and pairwise masks, modulo 2³².
public struct MaskedInput: Sendable, Equatable {
    public var participant: UInt32
    public var words: [UInt32]

    public init(participant: UInt32, words: [UInt32]) {
        self.participant = participant
        self.words = words
    }
}

/// Round 4's question from the aggregator: who survived masked input collection and who dropped
/// after sharing keys. A hospital checks the two lists are disjoint and fit what it saw.
public struct UnmaskingRequest: Sendable, Equatable {
    public var survivors: [UInt32]
    public var dropped: [UInt32]

    public init(survivors: [UInt32], dropped: [UInt32]) {
        self.survivors = survivors
        self.dropped = dropped
    }
}

/// A share of one owner's secret held by the responding hospital.
public struct HeldShare: Sendable, Equatable, Hashable {
    public var owner: UInt32
    public var share: ShamirShare

    public init(owner: UInt32, share: ShamirShare) {
        self.owner = owner
        self.share = share
    }
}

/// Round 4's answer: self-mask seed shares of surviving neighbours, mask-key shares of dropped ones;
/// never both kinds for one owner.
public struct UnmaskingResponse: Sendable, Equatable {
    public var participant: UInt32
    public var selfMaskShares: [HeldShare]
    public var maskKeyShares: [HeldShare]

    public init(participant: UInt32, selfMaskShares: [HeldShare], maskKeyShares: [HeldShare]) {
        self.participant = participant
        self.selfMaskShares = selfMaskShares
        self.maskKeyShares = maskKeyShares
    }
}
