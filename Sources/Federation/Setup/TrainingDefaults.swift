/// The local-training settings a run uses when the command line and run file give none: fedtop's
/// defaults (``FederationPlan/defaults``: expected batch 64, learning rate 0.05, clip norm 1), except
/// for a model whose settings under DP-SGD were tuned and measured.
///
/// Contract: `tinycnn` (the built-in lesion federation's model) trains under DP-SGD with expected
/// batch 256, learning rate 1.0 and per-sample clip norm 0.4; without DP-SGD (its clipping bounds
/// the step that learning rate takes), any other model, or none known yet (a remote hospital's data
/// decides), gets fedtop's defaults. Why, for DP-SGD (Abadi et al., "Deep Learning
/// with Differential Privacy", 2016): the Gaussian noise is added to a batch's *sum* of clipped
/// gradients with standard deviation σ·C whatever the batch, so a larger expected batch raises
/// every step's signal-to-noise ratio (De et al., "Unlocking High-Accuracy Differentially Private
/// Image Classification through Scale", 2022, §3); the accountant calibrates σ to the resulting
/// sampling rate. And at C = 1 only about a quarter of tinycnn's per-sample gradients were clipped:
/// most of the noise σ·C covered norms no gradient had, so C = 0.4 with the learning rate raised in
/// proportion moves the model as far per step under 2.5 times less noise. The README's "Data"
/// section gives the runs that chose these values.
public struct TrainingDefaults: Sendable, Equatable {
    /// Expected batch size (Poisson batches under DP-SGD).
    public var batchSize: Int
    /// Local SGD learning rate.
    public var learningRate: Float
    /// Sample-level per-sample clip norm C.
    public var clipNorm: Double

    public init(batchSize: Int, learningRate: Float, clipNorm: Double) {
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.clipNorm = clipNorm
    }

    /// fedtop's defaults for any model.
    public static let standard = TrainingDefaults(batchSize: FederationPlan.defaults.batchSize,
                                                  learningRate: FederationPlan.defaults.learningRate,
                                                  clipNorm: FederationPlan.defaults.clip)

    /// The model whose DP-SGD settings were tuned (the built-in lesions' default).
    static let tunedModel = "tinycnn"

    /// The settings a model of `kind` trains with by default, with or without DP-SGD (sample-level
    /// clipping and noise); ``standard`` for nil or an untuned model.
    public static func forModel(_ kind: String?, dpSGD: Bool = true) -> TrainingDefaults {
        switch (kind, dpSGD) {
        case (tunedModel, true): TrainingDefaults(batchSize: 256, learningRate: 1.0, clipNorm: 0.4)
        default: standard
        }
    }

    /// How `--help` and `fedtop init` describe the defaults of `setting`: "64; 256 for tinycnn under DP-SGD".
    public static func note<Value>(_ setting: KeyPath<TrainingDefaults, Value>) -> String {
        "\(standard[keyPath: setting]); \(forModel(tunedModel)[keyPath: setting]) for \(tunedModel) under DP-SGD"
    }
}
