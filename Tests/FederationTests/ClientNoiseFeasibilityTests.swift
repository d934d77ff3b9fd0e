import Federation
import Foundation
import Privacy
import Testing

/// Client-level DP refuses, before round 1, a federation that cannot learn under its noise or cannot
/// pay for one round — with the numbers and what to change.
@Suite("Client-level noise feasibility")
struct ClientNoiseFeasibilityTests {
    func check(z: Double, q: Double = 1, n: Int, d: Int, budget: Double = 3, rounds: Int = 40) -> ClientNoiseFeasibility {
        ClientNoiseFeasibility(noiseMultiplier: z, clipNorm: 1, sampleRate: q, hospitals: n, parameters: d, rounds: rounds,
                               budget: budget, delta: 1e-5, spent: RDPAccountant())
    }

    @Test("three lesion hospitals at ε = 3: refused, naming z·S/(q·n), ρ, the rounds allowed and the hospitals needed")
    func smallFederationRefused() throws {
        let c = check(z: 2.59, n: 3, d: 7_111, rounds: 3)
        #expect(abs(c.coordinateNoise - 2.59 / 3) < 1e-12)
        #expect(abs(c.noiseToSignal - 2.59 * 7_111.0.squareRoot() / 3) < 1e-9)
        let refusal = try #require(c.refusal)
        #expect(refusal.contains("z·S/(q·n) = 2.59·1/3 = 0.863"), "\(refusal)")
        #expect(refusal.contains("72.8× the largest possible signal"), "\(refusal)")
        #expect(refusal.contains("allows \(c.roundsAllowed) round(s)") && c.roundsAllowed >= 3)
        #expect(refusal.contains("Use about 22 hospitals or more") && refusal.contains("--dp sample") && refusal.contains("--epsilon"))
    }

    @Test("a thousand hospitals sampled at 10 % with the same model learn: no refusal")
    func largeFederationAccepted() {
        #expect(check(z: 1.0, q: 0.1, n: 1_000, d: 151_047).refusal == nil)  // ρ ≈ 3.9
        #expect(check(z: 3, n: 100, d: 4_810).refusal == nil)  // ρ ≈ 2.1
    }

    @Test("a z whose first round alone costs more than the budget is refused for that reason, with the z one round needs")
    func firstRoundOverBudget() throws {
        let c = check(z: 0.5, n: 10, d: 4_810)
        #expect(c.firstRoundEpsilon > 3)
        let refusal = try #require(c.refusal)
        #expect(refusal.hasPrefix("client-level DP: one round at z 0.5 (q 1) costs the federation ε 10."), "\(refusal)")
        #expect(refusal.contains("above its budget ε 3"))
        #expect(!refusal.contains("spent (ε 0.000"))
        // The z it names does pay for one round.
        let needed = try #require(try Calibration.noiseMultiplier(targetEpsilon: 3, sampleRate: 1, steps: 1, delta: 1e-5))
        #expect(refusal.contains("at least \(String(format: "%.3g", needed))"))
        #expect(try Calibration.projectedEpsilon(spent: RDPAccountant(), sampleRate: 1, noiseMultiplier: needed, steps: 1,
                                                 delta: 1e-5) <= 3)
    }

    @Test("the refusal counts what the federation's ledger has spent already")
    func spentHistory() throws {
        var spent = RDPAccountant()
        spent.compose(try PrivacySegment(sampleRate: 1, noiseMultiplier: 1.5, steps: 1))
        let c = ClientNoiseFeasibility(noiseMultiplier: 1.5, clipNorm: 1, sampleRate: 1, hospitals: 100, parameters: 100,
                                       rounds: 5, budget: 3, delta: 1e-5, spent: spent)
        #expect(c.refusal?.contains("with what it has spent already") == true)
    }
}
