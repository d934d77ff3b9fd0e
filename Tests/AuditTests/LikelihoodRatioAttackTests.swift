import Datasets
import Federation
import Foundation
import Testing
@testable import Audit

@Suite("Likelihood-ratio membership inference, offline (Carlini et al. 2022)")
struct LikelihoodRatioAttackTests {
    static let settings = RoundSettings(round: 1, localEpochs: 60, batchSize: 16, learningRate: 0.1, momentum: 0.9, samplePrivacy: nil)

    @Test("against a memorising target, OUT shadows trained like it make the attack near-perfect")
    func memorising() throws {
        let members = AuditFixture.records(60, features: 64, classes: 20, seed: 21), nonMembers = AuditFixture.records(60, features: 64, classes: 20, seed: 22)
        let architecture = AuditFixture.mlp(features: 64, classes: 20, hidden: 128, seed: 23)
        let target = AuditFixture.trained(architecture, on: members, epochs: 60)
        let shadows = try ShadowTraining(architecture: architecture, rounds: 1, settings: Self.settings)
            .train(population: AuditFixture.records(120, features: 64, classes: 20, seed: 24), count: 4, seed: 25, scratch: NSTemporaryDirectory())
        let attack = try LikelihoodRatioAttack(shadowModels: shadows)
        let result = try attack.run(model: target, targets: try MembershipTargets(members: members, nonMembers: nonMembers), target: "global")
        #expect(result.attack == "lira-offline")
        #expect(result.auc > 0.95, "AUC \(result.auc)")
    }

    @Test("a target that is just another OUT model gives AUC ≈ 0.5")
    func noInformation() throws {
        let members = AuditFixture.records(300, seed: 31), nonMembers = AuditFixture.records(300, seed: 32)
        let architecture = AuditFixture.mlp(seed: 33)
        let shadows = try ShadowTraining(architecture: architecture, rounds: 1, settings: Self.settings)
            .train(population: AuditFixture.records(120, seed: 34), count: 5, seed: 35, scratch: NSTemporaryDirectory())
        let target = shadows[0]
        let attack = try LikelihoodRatioAttack(shadowModels: Array(shadows.dropFirst()))
        let result = try attack.run(model: target, targets: try MembershipTargets(members: members, nonMembers: nonMembers), target: "global")
        #expect(abs(result.auc - 0.5) < 0.08, "AUC \(result.auc)")
    }

    @Test("fewer than two shadows, or a population too small, is refused")
    func refusals() throws {
        #expect(throws: AuditError.self) { try LikelihoodRatioAttack(shadowModels: [AuditFixture.mlp(seed: 1)]) }
        #expect(throws: AuditError.self) {
            try ShadowTraining(architecture: AuditFixture.mlp(seed: 1), rounds: 1, settings: Self.settings)
                .train(population: AuditFixture.records(3, seed: 1), count: 2, seed: 1, scratch: NSTemporaryDirectory())
        }
    }

    @Test("shadows differ from one another and each trained on half the population")
    func shadowsDiffer() throws {
        let shadows = try ShadowTraining(architecture: AuditFixture.mlp(seed: 41), rounds: 2, settings: Self.settings)
            .train(population: AuditFixture.records(40, seed: 42), count: 2, seed: 43, scratch: NSTemporaryDirectory())
        #expect(shadows.count == 2)
        #expect(shadows[0].parameters.scalars != shadows[1].parameters.scalars)
    }
}
