import Privacy
import TensorCore

/// Client-level differential privacy as a wrapper around another strategy (DP-FedAvg, McMahan,
/// Ramage, Talwar & Zhang 2018; adaptive clipping by Andrew et al. 2021): every hospital's update is
/// clipped to S, the sum is noised with N(0, σ_Δ²S²) and divided by the expected number of
/// participants q·n (``ClientLevelDP``); the wrapped strategy's server step then moves the global
/// model by that private mean (so FedAvg, FedProx, FedAdam, FedYogi and FedAdagrad all work under it,
/// the adaptive server optimisers as post-processing).
///
/// Contract:
/// - Updates are combined with equal weights: a sample-count weight would be unbounded in one
///   hospital's data and would leak its size.
/// - The wrapped strategy must combine by a mean. Robust rules (median, trimmed mean, Krum) are
///   refused: under add/remove adjacency their output can move by far more than S/(q·n) when one
///   hospital joins, so the Gaussian noise would not pay for them. Norm bounding needs no wrapper:
///   the clip is its bound.
/// - The accountant sees one Poisson-subsampled Gaussian step (q, z) per round; the caller writes it
///   to the federation's ledger before the new global model is released.
public struct DPFedAvg: Strategy {
    public private(set) var base: any Strategy
    public private(set) var mechanism: ClientLevelDP
    /// The hospitals' Poisson selection rate q.
    public let sampleRate: Double
    /// Whether the noise is secure (false when seeded: any ε is then reported as seeded).
    public let isSecure: Bool
    /// b̃ of the last round under adaptive clipping.
    public private(set) var lastUnclippedFraction: Double?
    private var generator: ChaCha20Generator

    public init(wrapping base: any Strategy, mechanism: ClientLevelDP, sampleRate: Double,
                noiseSeed: UInt64?) throws(FederationError) {
        guard base.combination == .mean else {
            throw .configuration("client-level DP cannot wrap \(base.name): a robust rule's output is not bounded by the "
                                 + "clip norm when one hospital joins, so the noise would not pay for it; use fedavg, fedprox, "
                                 + "fedadam, fedyogi or fedadagrad under --dp client, or norm bounding without client DP")
        }
        guard sampleRate > 0, sampleRate <= 1 else {
            throw .configuration("client-level DP: hospital sample rate q = \(sampleRate) must be in (0, 1]")
        }
        self.base = base
        self.mechanism = mechanism
        self.sampleRate = sampleRate
        if let noiseSeed {
            generator = ChaCha20Generator(seed: noiseSeed, stream: 0x6466_6176_67)
            isSecure = false
        } else {
            do { generator = try ChaCha20Generator() } catch {
                throw .configuration("client-level DP: no secure randomness: \(error)")
            }
            isSecure = true
        }
    }

    public var name: String { "dp(\(base.name))" }
    public var combination: CombinationKind { .mean }
    public var proximalMu: Float { base.proximalMu }

    public var clientPrivacy: ClientPrivacy? {
        ClientPrivacy(mechanism: mechanism, sampleRate: sampleRate, isSecure: isSecure, base: base)
    }

    public mutating func combine(_ updates: [ClientUpdate]) -> Tensor {
        combine(folded: AggregationMath.folding(updates, rule: .clippedSum(clipNorm: mechanism.clipNorm)))
    }

    /// Each update clipped to S and summed as it arrives; the noise is drawn once, here.
    public var foldRule: UpdateFold.Rule? { .clippedSum(clipNorm: mechanism.clipNorm) }

    public mutating func combine(folded: UpdateFold) -> Tensor {
        // The noise pays for updates clipped to this S; a fold clipped to a larger one would under-report ε.
        precondition(folded.rule == .clippedSum(clipNorm: mechanism.clipNorm),
                     "DPFedAvg: a fold of rule \(folded.rule), expected updates clipped to S = \(mechanism.clipNorm)")
        let result = mechanism.finish(clippedSum: folded.clippedSum, unclipped: folded.unclipped, using: &generator)
        lastUnclippedFraction = result.unclippedFraction
        return result.update
    }

    public mutating func apply(_ aggregate: Tensor, to global: inout Tensor) {
        base.apply(aggregate, to: &global)
    }

    public mutating func apply(_ aggregate: Tensor, to global: inout Tensor, subModel: SubModel) {
        base.apply(aggregate, to: &global, subModel: subModel)
    }

    static let clipNormKey = "server.dp.clip_norm"

    /// The wrapped strategy's state and, under adaptive clipping, the current S.
    public var serverState: [String: Tensor] {
        var state = base.serverState
        if mechanism.adaptive != nil { state[Self.clipNormKey] = Tensor(shape: [1], repeating: Float(mechanism.clipNorm)) }
        return state
    }

    public mutating func restoreServerState(_ state: [String: Tensor]) throws(FederationError) {
        try base.restoreServerState(state)
        guard mechanism.adaptive != nil, let s = state[Self.clipNormKey] else { return }
        guard s.count == 1, let value = s.withUnsafeBufferPointer({ $0.first }), value.isFinite, value > 0 else {
            throw .configuration("\(name): the checkpoint's adaptive clip norm \(Self.clipNormKey) is not one positive number")
        }
        do { try setClientClip(try ClipNorm(Double(value))) } catch { throw .configuration("\(name): \(error)") }
    }

    /// Changes z (a new accountant segment from the next round).
    public mutating func setClientNoise(_ z: ClientNoiseMultiplier) throws(PrivacyError) {
        mechanism = try ClientLevelDP(noiseMultiplier: z.value, clipNorm: mechanism.clipNorm,
                                      expectedParticipants: mechanism.expectedParticipants, adaptive: mechanism.adaptive)
    }

    /// Changes S (under adaptive clipping, the value it adapts from).
    public mutating func setClientClip(_ s: ClipNorm) throws(PrivacyError) {
        mechanism = try ClientLevelDP(noiseMultiplier: mechanism.noiseMultiplier, clipNorm: s.value,
                                      expectedParticipants: mechanism.expectedParticipants, adaptive: mechanism.adaptive)
    }
}
