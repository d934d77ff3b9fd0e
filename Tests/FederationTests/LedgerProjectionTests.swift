@testable import Federation
import Foundation
import Privacy
import Testing

@Suite("The console's privacy projection from the ledgers")
struct LedgerProjectionTests {
    func ledger(_ lines: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fed-\(UUID().uuidString).ledger").path
        let ledger = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: try LedgerSeal.loadOrCreate(directory: path + ".seal", name: "federation"))
        for (i, l) in lines.enumerated() { try ledger.record(try PrivacySegment(parsing: l), round: i + 1) }
        return path
    }

    @Test("client-level: final ε is the accountant's ε after the paid rounds plus the rest at the new z; never below it")
    func federation() throws {
        let path = try ledger(["0.5:2.0:1", "0.5:2.0:1"])
        let p = LedgerProjection(hospitals: [], batchSize: 64, localEpochs: 1, delta: 1e-5, budget: 3, privacy: .client,
                                 federationLedgerPath: path, clientSampleRate: 0.5, initialClientNoise: 2)
        let f = try #require(p.forecast(noiseMultiplier: 2.0, clipNorm: 1, completedRound: 2, plannedRounds: 10))
        var exact = RDPAccountant()
        exact.compose(try PrivacySegment(sampleRate: 0.5, noiseMultiplier: 2.0, steps: 10))
        #expect(f.finalEpsilon >= exact.epsilon(delta: 1e-5).epsilon - 1e-9)
        #expect(abs(f.finalEpsilon - exact.epsilon(delta: 1e-5).epsilon) < 1e-9)
        let louder = try #require(p.forecast(noiseMultiplier: 4.0, clipNorm: 1, completedRound: 2, plannedRounds: 10))
        #expect(louder.finalEpsilon < f.finalEpsilon)
        #expect(louder.roundsLeft >= f.roundsLeft)
        // A round paid in advance (written ahead, not completed yet) is not paid twice.
        let ahead = try #require(p.forecast(noiseMultiplier: 2.0, clipNorm: 1, completedRound: 1, plannedRounds: 10))
        #expect(abs(ahead.finalEpsilon - f.finalEpsilon) < 1e-9)
        let over = try #require(p.forecast(noiseMultiplier: 0.5, clipNorm: 1, completedRound: 2, plannedRounds: 10))
        #expect(!over.fits && over.roundsLeft < 8 && over.limitingParty == "federation")
    }

    @Test("σ = 0 projects ε = ∞ with no rounds left; no DP projects nothing")
    func degenerate() throws {
        let p = LedgerProjection(hospitals: [], batchSize: 64, localEpochs: 1, delta: 1e-5, budget: 3, privacy: .client,
                                 federationLedgerPath: nil, clientSampleRate: 0.5, initialClientNoise: 2)
        let f = try #require(p.forecast(noiseMultiplier: 0, clipNorm: 1, completedRound: 0, plannedRounds: 10))
        #expect(f.finalEpsilon == .infinity && f.roundsLeft == 0)
        let off = LedgerProjection(hospitals: [], batchSize: 64, localEpochs: 1, delta: 1e-5, budget: 3, privacy: .off,
                                   federationLedgerPath: nil, clientSampleRate: nil, initialClientNoise: nil)
        #expect(off.forecast(noiseMultiplier: 1, clipNorm: 1, completedRound: 0, plannedRounds: 10) == nil)
    }
}
