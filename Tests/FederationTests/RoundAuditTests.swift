import Privacy
import Testing
import TensorCore
@testable import Federation

/// Leave-one-out influence of a malicious hospital under each strategy.
@Suite("Influence of each update on the aggregate (the console's audit view)")
struct RoundAuditTests {
    typealias S = StrategyTestSupport
    static let flagged: Set<String> = ["malicious"]

    /// A label-flipping-like attacker: its update points the other way, ten times larger.
    static let flipped: [ClientUpdate] = S.attacked.map { $0.hospital == "malicious" ? S.update("malicious", [-10, -10, -10, -10], samples: 100) : $0 }

    @Test("under FedAvg the malicious hospital moves the aggregate far more than an honest one")
    func fedAvg() {
        let influence = HospitalInfluence.measure(Self.flipped, strategy: FedAvg(), malicious: Self.flagged)
        let bad = influence.first { $0.malicious }!
        #expect(influence.count == 5 && influence.filter(\.malicious).count == 1)
        // Leave-one-out under a mean: |A − uᵢ|/(n − 1); −1.2 − (−10) against −1.2 − 1: four times.
        #expect(abs((bad.relative ?? 0) - 4) < 0.05, "relative \(bad.relative ?? -1)")
        // Honest relatives average 1 by construction.
        let honest = influence.filter { !$0.malicious }.compactMap(\.relative)
        #expect(abs(honest.reduce(0, +) / Double(honest.count) - 1) < 1e-9)
    }

    @Test("the median and Krum contain it: its influence is no more than an honest hospital's")
    func robust() {
        for strategy in [CoordinateMedian(), Krum(byzantine: 1)] as [any Strategy] {
            let bad = HospitalInfluence.measure(Self.flipped, strategy: strategy, malicious: Self.flagged).first { $0.malicious }!
            #expect((bad.relative ?? 99) < 1.5, "\(strategy.name): relative \(bad.relative ?? -1)")
        }
    }

    @Test("client-level DP is measured on clipped updates, without its noise (the same answer twice)")
    func clipped() throws {
        let dp = try DPFedAvg(wrapping: FedAvg(), mechanism: try ClientLevelDP(noiseMultiplier: 1, clipNorm: 1, expectedParticipants: 5), sampleRate: 1, noiseSeed: 1)
        let a = HospitalInfluence.measure(Self.flipped, strategy: dp, malicious: Self.flagged)
        let b = HospitalInfluence.measure(Self.flipped, strategy: dp, malicious: Self.flagged)
        #expect(a == b)
        // Clipped to norm 1 its pull on the aggregate is a tenth of the unclipped one (0.2 against 2.2).
        let clippedChange = a.first { $0.malicious }!.change
        let plainChange = HospitalInfluence.measure(Self.flipped, strategy: FedAvg(), malicious: Self.flagged).first { $0.malicious }!.change
        #expect(abs(clippedChange - 0.4) < 0.01 && abs(plainChange - 4.4) < 0.05, "\(clippedChange) \(plainChange)")
    }

    @Test("one update has no leave-one-out influence to report")
    func single() {
        #expect(HospitalInfluence.measure([S.attacked[0]], strategy: FedAvg(), malicious: []).isEmpty)
    }
}
