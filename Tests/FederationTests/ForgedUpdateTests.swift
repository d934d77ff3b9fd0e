import Federation
import Foundation
import TensorCore
import Testing

/// A malicious local hospital that trains honestly but forges what it sends (``UpdateForgery``): the
/// engine must refuse each forgery, go on with the honest hospitals, and count the refusal.
@Suite("Forged updates from a malicious hospital are refused by default, and the run goes on", .serialized)
struct ForgedUpdateTests {
    func run(_ mode: UpdateForgery.Mode, privacy: PrivacyMode) throws -> (RunOutcome, [EngineEvent], Tensor) {
        let f = try FederationFixture(hospitals: 3, privacy: privacy != .off)
        f.hospitals[2].attack = UpdateForgery(mode)
        let engine = try Engine(configuration: f.configuration(rounds: 2, privacy: privacy), model: f.model,
                                hospitals: f.hospitals, strategy: MeanStrategy())
        let (outcome, events) = FederationFixture.run(engine)
        return (outcome, events, engine.globalModel.parameters)
    }

    func rejections(_ events: [EngineEvent]) -> [String] {
        events.compactMap { if case .updateRejected(let h, let reason) = $0.kind, h == "h3" { return reason } else { return nil } }
    }

    @Test("a finite update scaled by 1e25, with no --max-update-norm: refused as an outlier (no DP) or above the DP-SGD bound")
    func scaledUpdate() throws {
        for privacy in [PrivacyMode.off, .sample] {
            let (outcome, events, model) = try run(.scale(1e25), privacy: privacy)
            #expect(outcome == .finished, "\(privacy)")
            #expect(rejections(events).count == 2, "\(privacy): \(rejections(events))")
            #expect(events.summaries.allSatisfy { $0.aggregated == 2 && $0.rejected == 1 })
            #expect(model.isFinite && model.norm() < 1e3)
        }
    }

    @Test("NaN updates and losses, ∞ updates and 2^63 − 1 record counts are refused every round; metrics.csv-bound summaries stay finite")
    func otherForgeries() throws {
        for mode in [UpdateForgery.Mode.nan, .infinity, .wrongCounts] {
            let (outcome, events, model) = try run(mode, privacy: .off)
            #expect(outcome == .finished, "\(mode)")
            #expect(rejections(events).count == 2, "\(mode)")
            #expect(model.isFinite)
            for s in events.summaries {
                #expect(s.trainLoss.isFinite && s.evaluation.map { $0.loss.isFinite && $0.count < 1_000 } == true, "\(mode)")
                #expect(MetricsCSV.row(s).split(separator: ",").last == "1")
            }
        }
    }
}
