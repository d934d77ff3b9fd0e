import Privacy
import TensorCore

/// A hospital that a `fedtop hospital` process serves over the network: the production
/// ``HospitalTrainer``, or a ``LocalHospital`` wrapping one for `fedtop hospital --simulate` demos.
///
/// Contract: as ``SecureAggregationHospital`` and ``SampleLevelAccounting``, with the architecture
/// given per request (a model-zoo name the service builds from each signed request) rather than at
/// start; ``policy`` is what the hospital enforces on every request and announces in Hello.
public protocol ServableHospital: SecureAggregationHospital, SampleLevelAccounting {
    /// What it accepts, checked on every request before any record is touched.
    var policy: HospitalPolicy { get }
    /// What opening the ledger found worth telling the operator.
    var ledgerNotes: [String] { get }
    /// The DP-SGD segment one round with `settings` costs this hospital.
    func plannedSpend(_ settings: RoundSettings) -> PrivacySegment?
    /// Writes the budget change asked for at start, once the start has succeeded.
    func commitBudget() throws(HospitalError)
    func train(architecture: Sequential, globalModel: Tensor, settings: RoundSettings,
               progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> HospitalUpdate
    func evaluate(architecture: Sequential, globalModel: Tensor) throws(HospitalError) -> EvaluationMetrics
    func trainSecurely(architecture: Sequential, globalModel: Tensor, settings: RoundSettings, plan: SecureRoundPlan,
                       progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> SecureTrainingReceipt
}

extension HospitalTrainer: ServableHospital {}
extension LocalHospital: ServableHospital {}
