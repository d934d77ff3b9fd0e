import Datasets

/// fedtop's defaults, declared once: `fedtop run` applies them (``FederationOptions/resolved()``),
/// `--help` shows them, `fedtop init` writes the ones a run file spells out (``RunOptions/defaults``),
/// and `fedtop hospital` and `fedtop run --central` share the data and training ones.
enum RunDefaults {
    static let dataset = DatasetSource.defaultSpec
    static let partition = "iid"
    static let hospitals = 3
    static let quorum = 2
    static let rounds = 30
    static let localEpochs = 1
    static let batchSize = 64
    static let learningRate = 0.05
    static let momentum = 0.9
    static let strategy = "fedavg"
    static let dp = "sample"
    static let epsilon = 3.0
    static let delta = 1e-5
    static let clip = 1.0
    static let clientClip = 1.0
    static let seed: UInt64 = 1
    static let testFraction = 0.2
    static let secaggBits = 16
    static let secaggRange = 1.0
}
