import Federation

/// The most work one request may ask of a hospital, so a crafted (or mistaken) request cannot make it
/// train for hours or allocate without bound. Checked before any training, after the settings' own
/// bounds (``RoundSettings/problem``).
///
/// Contract: ``problem(parameters:settings:trainRecords:)`` returns the first limit the request breaks,
/// in words for the hospital's log, or nil. Under DP-SGD a round is `localEpochs · round(1/q)` Poisson
/// steps (q = batch/records); without it, `localEpochs · ⌈records/batch⌉` minibatches; the step limit
/// applies to both.
public struct WorkLimits: Sendable, Equatable {
    /// Parameters of one model (Float32): 4 M is 16 MB on the wire.
    public var maxParameters: Int
    /// Local epochs in one round.
    public var maxLocalEpochs: Int
    /// Optimiser steps in one round.
    public var maxStepsPerRound: Int
    /// The expected batch size.
    public var maxBatchSize: Int
    /// Hospitals in one secure-aggregation session (the roster's size).
    public var maxSecureParticipants: Int
    /// Neighbours of one hospital in a session: the shares it seals and receives, and the pairwise
    /// masks it expands (each as long as the model) are bounded by it. SecAgg+'s graph for 10,000
    /// hospitals has 40; the complete graph is used below 64 hospitals.
    public var maxSecureNeighbours: Int

    public init(maxParameters: Int = 4_000_000, maxLocalEpochs: Int = 20, maxStepsPerRound: Int = 100_000,
                maxBatchSize: Int = 8_192, maxSecureParticipants: Int = 10_000, maxSecureNeighbours: Int = 1_000) {
        self.maxParameters = maxParameters
        self.maxLocalEpochs = maxLocalEpochs
        self.maxStepsPerRound = maxStepsPerRound
        self.maxBatchSize = maxBatchSize
        self.maxSecureParticipants = maxSecureParticipants
        self.maxSecureNeighbours = maxSecureNeighbours
    }

    public static let standard = WorkLimits()

    /// The first limit a model of `parameters` values and a round of `settings` on `trainRecords`
    /// records breaks, or nil.
    public func problem(parameters: Int, settings: RoundSettings?, trainRecords: Int) -> String? {
        if parameters > maxParameters { return "model of \(parameters) parameters exceeds the limit \(maxParameters)" }
        guard let s = settings else { return nil }
        if let p = s.problem { return p }
        if s.localEpochs > maxLocalEpochs { return "local epochs \(s.localEpochs) exceed the limit \(maxLocalEpochs)" }
        if s.batchSize > maxBatchSize { return "batch size \(s.batchSize) exceeds the limit \(maxBatchSize)" }
        let records = max(1, trainRecords)
        let steps: Int
        if s.samplePrivacy != nil {
            steps = DPSGDRound.sampling(records: records, batchSize: s.batchSize, localEpochs: s.localEpochs).steps
        } else {
            steps = s.localEpochs * ((records + s.batchSize - 1) / s.batchSize)
        }
        if steps > maxStepsPerRound { return "\(steps) steps in one round exceed the limit \(maxStepsPerRound)" }
        return nil
    }
}
