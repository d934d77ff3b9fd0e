import Foundation
import TensorCore

/// The likelihood-ratio attack, offline variant (Carlini, Chien, Nasr, Song, Terzis & Tramèr 2022,
/// "Membership inference attacks from first principles", LiRA, Algorithm 1 offline): shadow models
/// trained like the target but never on the target records ("OUT" models) give, for each record,
/// the distribution of its logit-scaled confidence φ when it is not a member, fitted as a Gaussian
/// N(μ_out, σ²_out). The record's score is how far the target model's φ lies above it — the
/// one-sided test Pr[Z > φ_target] under that Gaussian, reported as the z-score (φ − μ_out)/σ_out,
/// which ranks records identically.
///
/// Contract: every shadow model has the target's architecture and was trained on records disjoint
/// from the targets (members and non-members alike), from the same distribution. With fewer than
/// ``perRecordVarianceMinimum`` shadow models the variance is the one global variance over all
/// records (the paper's "fixed variance", more stable with few shadows); with more, per record
/// (floored at 1 % of the global variance). At least two shadow models.
public struct LikelihoodRatioAttack: Sendable {
    public static let name = "lira-offline"
    public static let perRecordVarianceMinimum = 64

    public let shadowModels: [Sequential]

    public init(shadowModels: [Sequential]) throws(AuditError) {
        guard shadowModels.count >= 2 else {
            throw .invalidInput("the likelihood-ratio attack needs at least 2 shadow models, got \(shadowModels.count)")
        }
        self.shadowModels = shadowModels
    }

    /// z-scores of the target's φ against the OUT Gaussians, for `features`/`labels`.
    public func scores(model: Sequential, features: Tensor, labels: [Int]) -> [Double] {
        let target = ModelScores.scaledConfidences(model: model, features: features, labels: labels)
        let shadows = shadowModels.map { ModelScores.scaledConfidences(model: $0, features: features, labels: labels) }
        let k = Double(shadows.count)
        let means = target.indices.map { i in shadows.reduce(0.0) { $0 + $1[i] } / k }
        let variances = target.indices.map { i in shadows.reduce(0.0) { $0 + ($1[i] - means[i]) * ($1[i] - means[i]) } / (k - 1) }
        let global = max(variances.reduce(0, +) / Double(max(1, variances.count)), 1e-12)
        return target.indices.map { i in
            let variance = shadows.count >= Self.perRecordVarianceMinimum ? max(variances[i], 0.01 * global) : global
            return (target[i] - means[i]) / variance.squareRoot()
        }
    }

    public func run(model: Sequential, targets: MembershipTargets, target: String) throws(AuditError) -> MembershipInferenceResult {
        let members = scores(model: model, features: targets.members.features, labels: targets.members.labels)
        let nonMembers = scores(model: model, features: targets.nonMembers.features, labels: targets.nonMembers.labels)
        return MembershipInferenceResult(attack: Self.name, target: target,
                                         roc: try ROCCurve(memberScores: members, nonMemberScores: nonMembers))
    }
}
