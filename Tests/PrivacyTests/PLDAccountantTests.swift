import Foundation
import Testing
@testable import Privacy

@Suite("PLD accountant")
struct PLDAccountantTests {
    @Test("every row of shared/data/dp_epsilon_reference.csv within 1% of dp_accounting's PLD, and never above RDP")
    func sharedReference() throws {
        let rows = try RDPAccountantTests.reference("dp_epsilon_reference.csv", column: "eps_pld")
        for row in rows {
            var pld = PLDAccountant(), rdp = RDPAccountant()
            for s in try PrivacySegment.parseHistory(row.segments) { pld.compose(s); rdp.compose(s) }
            let eps = pld.epsilon(delta: row.delta)
            #expect(abs(eps - row.epsilon) <= 0.01 * row.epsilon, "\(row.segments) δ=\(row.delta): \(eps) vs \(row.epsilon)")
            #expect(eps <= rdp.epsilon(delta: row.delta).epsilon)
        }
    }

    @Test("12 random histories generated with dp_accounting (q = 1 cases, mixed segments, δ 1e-6…1e-3) within 1%, never above RDP")
    func randomReference() throws {
        let rows = try RDPAccountantTests.reference("pld_reference.csv", column: "eps_pld")
        let rdpRows = try RDPAccountantTests.reference("pld_reference.csv", column: "eps_rdp")
        #expect(rows.count == 12)
        for (row, rdpRow) in zip(rows, rdpRows) {
            var pld = PLDAccountant(), rdp = RDPAccountant()
            for s in try PrivacySegment.parseHistory(row.segments) { pld.compose(s); rdp.compose(s) }
            let eps = pld.epsilon(delta: row.delta), epsRDP = rdp.epsilon(delta: row.delta).epsilon
            #expect(abs(eps - row.epsilon) <= 0.01 * row.epsilon, "\(row.segments) δ=\(row.delta): \(eps) vs \(row.epsilon)")
            #expect(abs(epsRDP - rdpRow.epsilon) <= 1e-3 * rdpRow.epsilon)
            #expect(eps <= epsRDP)
        }
    }

    @Test("one step's connect-the-dots PMF is a distribution that reproduces the exact δ at grid points")
    func singleStep() {
        for direction in [PrivacyLossDistribution.Direction.remove, .add] {
            let pld = PrivacyLossDistribution.subsampledGaussian(sampleRate: 0.1, noiseMultiplier: 1.5,
                                                                 direction: direction, interval: 1e-3)
            let total = pld.masses.reduce(0, +) + pld.infinityMass
            #expect(abs(total - 1) < 1e-9)
            for e in [0.0, 0.05, 0.2] {
                let exact = PrivacyLossDistribution.delta(epsilon: e, q: 0.1, sigma: 1.5, direction: direction)
                #expect(abs(pld.delta(epsilon: e) - exact) < 1e-9)
            }
        }
    }
}
