import Privacy

/// What a strategy that makes its aggregate client-level differentially private (``DPFedAvg``;
/// McMahan, Ramage, Talwar & Zhang 2018) tells the engine through ``Strategy/clientPrivacy``: the
/// engine pays each round's cost to the federation's ledger and changes z or S through ``Strategy``
/// alone, never knowing which wrapper it holds.
///
/// Contract: a snapshot, taken after the last change; ``roundSpend`` is the accountant's view of one
/// round (one Poisson-subsampled Gaussian step (q, z)); ``base`` combines the same updates without
/// clipping or noise (for leave-one-out influence).
public struct ClientPrivacy: Sendable {
    /// The mechanism: z, S, the expected participants q·n, adaptive clipping.
    public var mechanism: ClientLevelDP
    /// The hospitals' Poisson selection rate q.
    public var sampleRate: Double
    /// Whether the noise is secure (false when seeded: any ε is then reported as seeded).
    public var isSecure: Bool
    /// The strategy whose mean is made private.
    public var base: any Strategy

    public init(mechanism: ClientLevelDP, sampleRate: Double, isSecure: Bool, base: any Strategy) {
        self.mechanism = mechanism
        self.sampleRate = sampleRate
        self.isSecure = isSecure
        self.base = base
    }

    /// The accountant's view of one round: (q, z, 1 step).
    public var roundSpend: PrivacySegment {
        get throws(PrivacyError) {
            try PrivacySegment(sampleRate: sampleRate, noiseMultiplier: mechanism.noiseMultiplier, steps: 1)
        }
    }
}
