import Datasets
import Testing
@testable import Audit

@Suite("Loss-threshold membership inference (Yeom et al. 2018)")
struct LossThresholdAttackTests {
    @Test("a model that never saw either set cannot tell members apart: AUC ≈ 0.5")
    func noInformation() throws {
        let members = AuditFixture.records(400, seed: 1), nonMembers = AuditFixture.records(400, seed: 2)
        // Trained on a third, disjoint set: membership of the targets leaves no trace.
        let model = AuditFixture.trained(AuditFixture.mlp(seed: 3), on: AuditFixture.records(200, seed: 4), epochs: 30)
        let result = try LossThresholdAttack.run(model: model, targets: try MembershipTargets(members: members, nonMembers: nonMembers),
                                                 target: "global")
        #expect(abs(result.auc - 0.5) < 0.07, "AUC \(result.auc)")
        #expect(result.tprAt1Percent < 0.1)
    }

    @Test("a model that memorised random labels (20 classes: nothing to generalise) scores AUC ≈ 1")
    func memorising() throws {
        let members = AuditFixture.records(60, features: 64, classes: 20, seed: 5), nonMembers = AuditFixture.records(60, features: 64, classes: 20, seed: 6)
        let model = AuditFixture.trained(AuditFixture.mlp(features: 64, classes: 20, hidden: 128, seed: 7), on: members, epochs: 100)
        let result = try LossThresholdAttack.run(model: model, targets: try MembershipTargets(members: members, nonMembers: nonMembers),
                                                 target: "global")
        #expect(result.auc > 0.95, "AUC \(result.auc)")
        #expect(result.tprAt1Percent > 0.3, "TPR at 1 % FPR \(result.tprAt1Percent)")
    }

    @Test("unbalanced or mismatched targets are refused; balanced() draws equal, sorted subsets")
    func targets() throws {
        #expect(throws: AuditError.self) {
            try MembershipTargets(members: AuditFixture.records(5, seed: 1), nonMembers: AuditFixture.records(4, seed: 2))
        }
        #expect(throws: AuditError.self) {
            try MembershipTargets(members: AuditFixture.records(5, seed: 1), nonMembers: AuditFixture.records(5, features: 3, seed: 2))
        }
        let t = try MembershipTargets.balanced(members: AuditFixture.records(50, seed: 1), nonMembers: AuditFixture.records(20, seed: 2),
                                               limit: 15, seed: 9)
        #expect(t.members.count == 15 && t.nonMembers.count == 15)
    }

    @Test("drawn from many hospitals' parts, the targets are exactly those drawn from their concatenation")
    func targetsFromParts() throws {
        let members = (0..<7).map { AuditFixture.records(3 + $0 * 5, seed: UInt64(10 + $0)) }
        let outside = (0..<4).map { AuditFixture.records(9, seed: UInt64(40 + $0)) }
        let parts = try MembershipTargets.balanced(members: members, nonMembers: outside, limit: 25, seed: 3)
        let whole = try MembershipTargets.balanced(members: Dataset.concatenating(members), nonMembers: Dataset.concatenating(outside),
                                                   limit: 25, seed: 3)
        #expect(parts.members.features == whole.members.features && parts.members.labels == whole.members.labels)
        #expect(parts.nonMembers.features == whole.nonMembers.features && parts.nonMembers.labels == whole.nonMembers.labels)
        #expect(parts.count == 25)
    }
}
