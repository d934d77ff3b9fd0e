import SecureAggregation
import TensorCore

extension LocalHospital: SecureAggregationHospital {
    public func trainSecurely(globalModel: Tensor, settings: RoundSettings, plan: SecureRoundPlan,
                              progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> SecureTrainingReceipt {
        try trainSecurely(architecture: architecture, globalModel: globalModel, settings: settings, plan: plan, progress: progress)
    }

    /// The trainer's secure round with this hospital's simulated behaviour (a forged or scaled update is
    /// encoded as it would have been sent).
    public func trainSecurely(architecture: Sequential, globalModel: Tensor, settings: RoundSettings, plan: SecureRoundPlan,
                              progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> SecureTrainingReceipt {
        let behaviour = try simulatedBehaviour(round: settings.round)
        return try trainer.trainSecurely(architecture: architecture, globalModel: globalModel, settings: settings, plan: plan,
                                         simulation: behaviour, progress: progress)
    }

    public func shareKeys(round: Int, roster: [AdvertisedKeys]) throws(HospitalError) -> [EncryptedShare] {
        try trainer.shareKeys(round: round, roster: roster)
    }

    public func maskedInput(round: Int, shares: [EncryptedShare]) throws(HospitalError) -> MaskedInput {
        try trainer.maskedInput(round: round, shares: shares)
    }

    public func unmask(round: Int, request: UnmaskingRequest) throws(HospitalError) -> UnmaskingResponse {
        try trainer.unmask(round: round, request: request)
    }
}
