import Federation
import TensorCore

/// The console's live membership inference: the loss-threshold attack (Yeom et al. 2018) on each
/// round's global model, against fixed balanced members and non-members of a simulated federation.
///
/// Contract: cheap enough for every round (two forward passes over at most a few hundred records,
/// on the engine's audit thread beside the next round, `AuditPipeline` in the engine); the targets are fixed at start, so the AUC's movement is the model's.
/// It never leaves this process: it exists only where the hospitals are simulated in it.
public struct LiveMembershipAudit: RoundAuditor {
    public let targets: MembershipTargets

    public init(targets: MembershipTargets) {
        self.targets = targets
    }

    public func audit(model: Sequential, round: Int) -> MembershipAuditSnapshot? {
        guard let result = try? LossThresholdAttack.run(model: model, targets: targets, target: "global") else { return nil }
        return MembershipAuditSnapshot(attack: result.attack, auc: result.auc, tprAt1Percent: result.tprAt1Percent,
                                       members: targets.count)
    }
}
