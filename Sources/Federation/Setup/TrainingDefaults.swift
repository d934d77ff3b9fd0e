/// The local-training settings a run uses when the command line and run file give none: fedtop's
/// defaults (``FederationPlan/defaults``: expected batch 64, learning rate 0.05), except for a model
/// whose settings under DP-SGD were tuned and measured.
///
/// Contract: `tinycnn` (the built-in lesion federation's model) trains with expected batch 256 and
/// learning rate 0.4. Under DP-SGD the noise added to a batch's summed gradient does not depend on
/// the batch, so a larger expected batch raises the signal-to-noise ratio of every step (De et al.,
/// "Unlocking High-Accuracy Differentially Private Image Classification through Scale", 2022, §3;
/// Abadi et al. 2016); the accountant calibrates σ to the resulting sampling rate, and with four times
/// fewer steps per epoch each step is larger. The README's "Data" section gives
/// the runs that chose these values. Any other model, or none known yet (a remote hospital's data
/// decides), gets fedtop's defaults.
public struct TrainingDefaults: Sendable, Equatable {
    /// Expected batch size (Poisson batches under DP-SGD).
    public var batchSize: Int
    /// Local SGD learning rate.
    public var learningRate: Float

    public init(batchSize: Int, learningRate: Float) {
        self.batchSize = batchSize
        self.learningRate = learningRate
    }

    /// fedtop's defaults for any model.
    public static let standard = TrainingDefaults(batchSize: FederationPlan.defaults.batchSize,
                                                  learningRate: FederationPlan.defaults.learningRate)

    /// The settings a model of `kind` trains with by default (``standard`` for nil or an untuned model).
    public static func forModel(_ kind: String?) -> TrainingDefaults {
        switch kind {
        case "tinycnn": TrainingDefaults(batchSize: 256, learningRate: 0.4)
        default: standard
        }
    }

    /// How `--help` and `fedtop init` describe the defaults of `setting`.
    public static func note(_ setting: KeyPath<TrainingDefaults, Int>) -> String {
        "\(standard[keyPath: setting]); \(forModel("tinycnn")[keyPath: setting]) for tinycnn"
    }

    /// How `--help` and `fedtop init` describe the defaults of `setting`.
    public static func note(_ setting: KeyPath<TrainingDefaults, Float>) -> String {
        "\(standard[keyPath: setting]); \(forModel("tinycnn")[keyPath: setting]) for tinycnn"
    }
}
