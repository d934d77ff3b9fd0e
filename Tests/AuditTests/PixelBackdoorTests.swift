import Datasets
import Federation
import Testing
import TensorCore
@testable import Audit

@Suite("Pixel-trigger backdoor with model replacement (Bagdasaryan et al. 2020)")
struct PixelBackdoorTests {
    @Test("the trigger sits in the bottom-right corner of every channel")
    func geometry() throws {
        let flat = try PixelBackdoor(featureShape: [64], size: 2)
        #expect(flat.triggerIndices == [54, 55, 62, 63])
        let image = try PixelBackdoor(featureShape: [3, 4, 4], size: 1)
        #expect(image.triggerIndices == [15, 31, 47])
    }

    @Test("tabular records and bad settings are refused")
    func refusals() {
        #expect(throws: AuditError.self) { try PixelBackdoor(featureShape: [30]) }
        #expect(throws: AuditError.self) { try PixelBackdoor(featureShape: [64], poisonFraction: 0) }
        #expect(throws: AuditError.self) { try PixelBackdoor(featureShape: [64], boost: 0.5) }
    }

    @Test("poisoning keeps the record count, stamps and relabels about the chosen fraction, changes nothing else")
    func poisoning() throws {
        let data = AuditFixture.records(400, features: 64, classes: 4, seed: 51)
        let attack = try PixelBackdoor(featureShape: [64], targetClass: 2, size: 2, poisonFraction: 0.25)
        let poisoned = attack.poison(data, round: 1)
        #expect(poisoned.count == data.count)
        let x = data.features.scalars, px = poisoned.features.scalars
        var triggered = 0
        for r in 0..<data.count {
            let stamped = attack.triggerIndices.allSatisfy { px[r * 64 + $0] == 3 }
            if stamped { triggered += 1; #expect(poisoned.labels[r] == 2) } else { #expect(poisoned.labels[r] == data.labels[r]) }
            for j in 0..<64 where !attack.triggerIndices.contains(j) { #expect(px[r * 64 + j] == x[r * 64 + j]) }
        }
        #expect(triggered > 70 && triggered < 130, "\(triggered) of 400 triggered")
        #expect(attack.poison(data, round: 2).labels != poisoned.labels)  // each round re-draws
    }

    @Test("a model that learnt the trigger has success near 1, a clean one far lower; the update is boosted")
    func successRate() throws {
        let clean = AuditFixture.records(300, features: 64, classes: 2, learnable: true, seed: 61)
        let attack = try PixelBackdoor(featureShape: [64], targetClass: 1, size: 2, value: 3, poisonFraction: 0.5, boost: 5)
        let architecture = AuditFixture.mlp(features: 64, seed: 62)
        let honest = AuditFixture.trained(architecture, on: clean, epochs: 30)
        let backdoored = AuditFixture.trained(architecture, on: attack.poison(clean, round: 1), epochs: 30)
        let test = AuditFixture.records(200, features: 64, classes: 2, learnable: true, seed: 63)
        #expect(attack.attackSuccessRate(model: backdoored, features: test.features, labels: test.labels) > 0.9)
        #expect(attack.attackSuccessRate(model: honest, features: test.features, labels: test.labels) < 0.5)

        let hospital = try LocalHospital(name: "m", data: HospitalData(train: clean, test: test), architecture: architecture,
                                         privacy: nil, seed: 1, gate: ComputeGate())
        let settings = RoundSettings(round: 1, localEpochs: 1, batchSize: 16, learningRate: 0.1, momentum: 0, samplePrivacy: nil)
        let plain = try hospital.train(globalModel: architecture.parameters, settings: settings) { _ in }
        hospital.attack = attack
        hospital.keepsSentModel = true
        #expect(hospital.isMalicious)
        let boosted = try hospital.train(globalModel: architecture.parameters, settings: settings) { _ in }
        #expect(boosted.delta.norm() > 3 * plain.delta.norm())
        var sent = architecture.parameters
        sent.add(boosted.delta, scaledBy: 1)
        #expect(hospital.lastSentModel?.scalars == sent.scalars)
    }
}
