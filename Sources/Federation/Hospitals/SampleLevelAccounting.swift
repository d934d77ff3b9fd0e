import Privacy

/// A hospital whose sample-level DP spend the aggregator can see — its ledger's history (q, σ, steps)
/// and how many records it samples from — so that σ can be calibrated to what is left of every
/// hospital's budget and the console can project ε, for local and remote hospitals alike.
///
/// Contract: ``accountant`` holds every segment the hospital's ledger holds (for a remote hospital, what
/// it reported at attach plus each round's spend since); ``roundSampling(batchSize:localEpochs:)`` is
/// ``DPSGDRound/sampling(records:batchSize:localEpochs:)`` of ``trainRecords``, the rule every
/// hospital trains by.
public protocol SampleLevelAccounting: Hospital {
    /// The spend recorded so far, or nil for a hospital without a ledger.
    var accountant: RDPAccountant? { get }
    /// Records in the training split (the DP-SGD sampling population).
    var trainRecords: Int { get }
    /// ε spent so far at the hospital's δ.
    var epsilonSpent: Double { get }
    /// The hospital's own ε budget, if it has one.
    var epsilonBudget: Double? { get }
}

extension SampleLevelAccounting {
    /// q and the DP-SGD steps of one round with this expected batch size and local epochs.
    public func roundSampling(batchSize: Int, localEpochs: Int) -> (sampleRate: Double, steps: Int) {
        DPSGDRound.sampling(records: trainRecords, batchSize: batchSize, localEpochs: localEpochs)
    }
}

/// The one rule for a round of DP-SGD in a hospital (Abadi et al. 2016 with Poisson sampling):
/// q = batch / records (at most 1), and `localEpochs · round(1/q)` steps.
public enum DPSGDRound {
    public static func sampling(records: Int, batchSize: Int, localEpochs: Int) -> (sampleRate: Double, steps: Int) {
        let q = min(1, Double(batchSize) / Double(max(1, records)))
        return (q, localEpochs * max(1, Int((1 / q).rounded())))
    }
}
