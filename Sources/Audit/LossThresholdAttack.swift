import TensorCore

/// The loss-threshold membership-inference attack (Yeom, Giacomelli, Fredrikson & Jha 2018,
/// "Privacy risk in machine learning: analyzing the connection to overfitting"): a record is
/// called a member when the model's loss on it is below a threshold. Sweeping the threshold gives
/// the ROC curve; the score is −loss.
///
/// Contract: needs only the target model and the records (no shadow models). An attack that cannot
/// tell members from non-members scores AUC ≈ 0.5; a model that memorises its members (loss ≈ 0 on
/// them, high on others) scores ≈ 1.
public enum LossThresholdAttack {
    public static let name = "loss-threshold"

    /// Scores (−loss) for every member, then every non-member.
    public static func scores(model: Sequential, targets: MembershipTargets) -> (members: [Double], nonMembers: [Double]) {
        (ModelScores.losses(model: model, features: targets.members.features, labels: targets.members.labels).map { -$0 },
         ModelScores.losses(model: model, features: targets.nonMembers.features, labels: targets.nonMembers.labels).map { -$0 })
    }

    public static func run(model: Sequential, targets: MembershipTargets, target: String) throws(AuditError) -> MembershipInferenceResult {
        let s = scores(model: model, targets: targets)
        return MembershipInferenceResult(attack: name, target: target,
                                         roc: try ROCCurve(memberScores: s.members, nonMemberScores: s.nonMembers))
    }
}
