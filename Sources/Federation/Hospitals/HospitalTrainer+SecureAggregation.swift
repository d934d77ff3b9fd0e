import Privacy
import SecureAggregation
import TensorCore

extension HospitalTrainer: SecureAggregationHospital {
    public func trainSecurely(globalModel: Tensor, settings: RoundSettings, plan: SecureRoundPlan,
                              progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> SecureTrainingReceipt {
        try trainSecurely(architecture: architecture, globalModel: globalModel, settings: settings, plan: plan, progress: progress)
    }

    /// Secure training of `architecture` (for a hospital process, as ``train(architecture:globalModel:settings:progress:)``).
    public func trainSecurely(architecture: Sequential, globalModel: Tensor, settings: RoundSettings, plan: SecureRoundPlan,
                              progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> SecureTrainingReceipt {
        try trainSecurely(architecture: architecture, globalModel: globalModel, settings: settings, plan: plan, simulation: nil,
                          progress: progress)
    }

    /// Secure training with what a simulation wrapper inserts into the round (nil in production).
    func trainSecurely(architecture: Sequential, globalModel: Tensor, settings: RoundSettings, plan: SecureRoundPlan,
                       simulation: SimulatedBehaviour?,
                       progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> SecureTrainingReceipt {
        guard plan.parameters.round == settings.round else {
            throw .invalidSettings(hospital: name, reason: "secure session for round \(plan.parameters.round), training round \(settings.round)")
        }
        guard plan.parameters.vectorLength == SecureEncoding.vectorLength(parameters: globalModel.count) else {
            throw .invalidSettings(hospital: name, reason: "secure session of \(plan.parameters.vectorLength) words for a model of \(globalModel.count) parameters")
        }
        let e = plan.encoding
        guard e.noiseVariance >= 0, e.noiseVariance.isFinite, e.l2Clip.map({ $0 > 0 && $0.isFinite }) ?? true,
              e.weightCap.map({ $0 >= 1 }) ?? true else {
            throw .invalidSettings(hospital: name, reason: "secure encoding out of bounds")
        }
        do { try e.checkNoWrap(participants: plan.parameters.graph.count) } catch {
            throw .invalidSettings(hospital: name, reason: error.description)
        }
        if e.noiseVariance > 0 {
            do { _ = try SkellamSampler(variance: e.noiseVariance) } catch {
                throw .invalidSettings(hospital: name, reason: "distributed noise: \(error)")
            }
        }
        let update = try train(architecture: architecture, globalModel: globalModel, settings: settings, simulation: simulation,
                               progress: progress)
        var generator: ChaCha20Generator
        if let noiseSeed {
            generator = ChaCha20Generator(seed: noiseSeed, stream: 0x7365_6361_6700_0000 | UInt64(truncatingIfNeeded: settings.round))
        } else {
            do { generator = try ChaCha20Generator() } catch {
                throw .secureAggregation(hospital: name, reason: "no secure randomness: \(error)")
            }
        }
        let words: [UInt32], clipped: Int
        do { (words, clipped) = try e.encode(delta: update.delta, sampleCount: update.sampleCount, using: &generator) } catch {
            throw .secureAggregation(hospital: name, reason: "distributed noise: \(error)")
        }
        let keys = try secureSeat.start(plan: plan, round: settings.round, input: words, generator: generator)
        return SecureTrainingReceipt(hospital: name, round: settings.round, keys: keys, trainLoss: update.trainLoss,
                                     clippedFraction: update.clippedFraction, clippedCoordinates: clipped,
                                     epsilonSpent: update.epsilonSpent, secureNoise: update.secureNoise, seconds: update.seconds)
    }

    public func shareKeys(round: Int, roster: [AdvertisedKeys]) throws(HospitalError) -> [EncryptedShare] {
        try secureSeat.step(round: round) { (c: inout SecAggClient) throws(SecAggError) in try c.shareKeys(roster: roster) }
    }

    public func maskedInput(round: Int, shares: [EncryptedShare]) throws(HospitalError) -> MaskedInput {
        try secureSeat.step(round: round) { (c: inout SecAggClient) throws(SecAggError) in try c.maskedInput(shares: shares) }
    }

    public func unmask(round: Int, request: UnmaskingRequest) throws(HospitalError) -> UnmaskingResponse {
        try secureSeat.step(round: round) { (c: inout SecAggClient) throws(SecAggError) in try c.unmask(request) }
    }
}
