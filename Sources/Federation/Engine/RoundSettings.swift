import TensorCore

/// What the aggregator asks of a hospital for one round. Validated by the hospital, which refuses
/// settings outside ``Bounds`` (a bound on the work one request may ask for).
public struct RoundSettings: Sendable, Equatable, Codable {
    public var round: Int
    public var localEpochs: Int
    /// The expected batch size; under DP-SGD the Poisson rate is `batchSize / records`.
    public var batchSize: Int
    public var learningRate: Float
    public var momentum: Float
    /// Sample-level DP-SGD: σ and C, or nil for no sample-level DP.
    public var samplePrivacy: SamplePrivacy?
    /// FedProx's proximal coefficient μ (0: plain local SGD).
    public var proximalMu: Float
    /// Federated dropout (Caldas et al. 2018): the sub-model this round trains, or nil for the full model.
    /// The global model sent is the sub-model's parameters, and the update covers them only.
    public var subModel: SubModelMask?

    /// Sample-level DP-SGD settings for the round.
    public struct SamplePrivacy: Sendable, Equatable, Codable {
        public var noiseMultiplier: Double
        public var clipNorm: Double

        public init(noiseMultiplier: Double, clipNorm: Double) {
            self.noiseMultiplier = noiseMultiplier
            self.clipNorm = clipNorm
        }
    }

    public init(round: Int, localEpochs: Int, batchSize: Int, learningRate: Float, momentum: Float,
                samplePrivacy: SamplePrivacy?, proximalMu: Float = 0, subModel: SubModelMask? = nil) {
        self.round = round
        self.localEpochs = localEpochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.samplePrivacy = samplePrivacy
        self.proximalMu = proximalMu
        self.subModel = subModel
    }

    /// The most work one request may ask for.
    public enum Bounds {
        public static let maxLocalEpochs = 100
        public static let maxBatchSize = 65_536
    }

    /// The first thing wrong with these settings, or nil.
    public var problem: String? {
        if round < 1 { return "round \(round) < 1" }
        if localEpochs < 1 || localEpochs > Bounds.maxLocalEpochs {
            return "local epochs \(localEpochs) outside 1…\(Bounds.maxLocalEpochs)"
        }
        if batchSize < 1 || batchSize > Bounds.maxBatchSize { return "batch size \(batchSize) outside 1…\(Bounds.maxBatchSize)" }
        if !(learningRate > 0) || !learningRate.isFinite { return "learning rate \(learningRate) must be > 0" }
        if !(momentum >= 0 && momentum < 1) { return "momentum \(momentum) outside [0, 1)" }
        if !(proximalMu >= 0) || !proximalMu.isFinite { return "proximal μ \(proximalMu) must be ≥ 0" }
        if let p = samplePrivacy {
            if !(p.noiseMultiplier >= 0) || !p.noiseMultiplier.isFinite { return "noise multiplier σ \(p.noiseMultiplier) must be ≥ 0" }
            if !(p.clipNorm > 0) || !p.clipNorm.isFinite { return "clip norm C \(p.clipNorm) must be > 0" }
        }
        if let mask = subModel {
            if mask.keptUnits.count > SubModelMask.maxLayers {
                return "sub-model names \(mask.keptUnits.count) layers, more than \(SubModelMask.maxLayers)"
            }
            if let big = mask.keptUnits.first(where: { $0.count > SubModelMask.maxUnits }) {
                return "sub-model keeps \(big.count) units of one layer, more than \(SubModelMask.maxUnits)"
            }
        }
        return nil
    }
}
