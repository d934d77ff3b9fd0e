import Foundation
import Testing
import TensorCore
@testable import Audit

@Suite("Per-record scores read from a model")
struct ModelScoresTests {
    @Test("losses match softmax cross-entropy; φ = log(p/(1 − p)) of the true class")
    func againstDefinitions() {
        let data = AuditFixture.records(20, classes: 3, seed: 11)
        let model = AuditFixture.mlp(classes: 3, seed: 12)
        let losses = ModelScores.losses(model: model, features: data.features, labels: data.labels)
        let phis = ModelScores.scaledConfidences(model: model, features: data.features, labels: data.labels)
        let logits = model.logits(for: data.features).scalars
        for i in 0..<20 {
            let z = logits[(3 * i)..<(3 * i + 3)].map(Double.init)
            let sum = z.reduce(0) { $0 + exp($1) }
            let p = exp(z[data.labels[i]]) / sum
            #expect(abs(losses[i] - (-log(p))) < 1e-5)
            #expect(abs(phis[i] - log(p / (1 - p))) < 1e-4)
        }
    }

    @Test("φ stays finite where p rounds to 1 in Float")
    func extremeLogits() throws {
        let phi = ModelScores.logSumExp([1000, 0]) - 1000
        #expect(phi.isFinite && abs(phi) < 1e-9)
    }
}
