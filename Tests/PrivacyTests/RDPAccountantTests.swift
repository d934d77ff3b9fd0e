import Foundation
import Testing
@testable import Privacy

/// The RDP accountant against Google's dp_accounting 0.6.0.
@Suite("RDP accountant")
struct RDPAccountantTests {
    struct Reference { var segments: String; var delta: Double; var epsilon: Double }

    /// Rows `segments,delta,eps,…` of a fixture CSV (the column named `column`).
    static func reference(_ file: String, column: String) throws -> [Reference] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(file)", withExtension: nil))
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        let index = try #require(header.firstIndex(of: column))
        return lines.dropFirst().map { line in
            let f = line.split(separator: ",").map(String.init)
            return Reference(segments: f[0], delta: Double(f[1])!, epsilon: Double(f[index])!)
        }
    }

    func epsilon(_ history: String, delta: Double) throws -> Double {
        var accountant = RDPAccountant()
        for segment in try PrivacySegment.parseHistory(history) { accountant.compose(segment) }
        return accountant.epsilon(delta: delta).epsilon
    }

    @Test("every row of shared/data/dp_epsilon_reference.csv within 0.1%")
    func sharedReference() throws {
        let rows = try Self.reference("dp_epsilon_reference.csv", column: "eps_rdp")
        #expect(rows.count == 8)
        for row in rows {
            let eps = try epsilon(row.segments, delta: row.delta)
            #expect(abs(eps - row.epsilon) <= 1e-3 * row.epsilon, "\(row.segments) δ=\(row.delta): \(eps) vs \(row.epsilon)")
        }
    }

    @Test("40 random histories (q, σ, steps, δ, mixed segments) generated with dp_accounting, within 0.1%")
    func randomReference() throws {
        let rows = try Self.reference("rdp_reference.csv", column: "eps_rdp")
        #expect(rows.count == 40)
        for row in rows {
            let eps = try epsilon(row.segments, delta: row.delta)
            if row.epsilon.isInfinite { #expect(eps.isInfinite); continue }
            #expect(abs(eps - row.epsilon) <= 1e-3 * max(row.epsilon, 1e-9), "\(row.segments) δ=\(row.delta): \(eps) vs \(row.epsilon)")
        }
    }

    @Test("q = 1 is the plain Gaussian mechanism: R(α) = α/(2σ²)")
    func fullBatch() {
        let r = RDPAccountant.stepRDP(sampleRate: 1, noiseMultiplier: 2, orders: [2, 10.5])
        #expect(r == [2.0 / 8, 10.5 / 8])
    }

    @Test("ε grows with steps and falls with σ; no steps is ε = 0; σ = 0 is ε = ∞")
    func monotone() throws {
        let a = try epsilon("0.01:1.0:100", delta: 1e-5), b = try epsilon("0.01:1.0:1000", delta: 1e-5)
        let c = try epsilon("0.01:2.0:1000", delta: 1e-5)
        #expect(a < b && c < b)
        #expect(RDPAccountant().epsilon(delta: 1e-5).epsilon == 0)
        #expect(try epsilon("0.01:0:1", delta: 1e-5).isInfinite)
    }

    @Test("composition is additive: one segment of 2n steps equals two segments of n")
    func additive() throws {
        var one = RDPAccountant(), two = RDPAccountant()
        one.compose(try PrivacySegment(sampleRate: 0.02, noiseMultiplier: 1.3, steps: 400))
        two.compose(try PrivacySegment(sampleRate: 0.02, noiseMultiplier: 1.3, steps: 200))
        two.compose(try PrivacySegment(sampleRate: 0.02, noiseMultiplier: 1.3, steps: 200))
        for (x, y) in zip(one.rdp, two.rdp) { #expect(abs(x - y) <= 1e-12 * max(1, abs(x))) }
        #expect(two.segments.count == 1 && two.segments[0].steps == 400)
    }

    @Test("bad settings and malformed segments are errors naming the value")
    func validation() {
        #expect(throws: PrivacyError.invalidSetting(name: "sample rate q", value: 1.5, expected: "0 < q ≤ 1")) {
            try PrivacySegment(sampleRate: 1.5, noiseMultiplier: 1, steps: 1)
        }
        #expect(throws: PrivacyError.self) { try PrivacySegment(sampleRate: 0.1, noiseMultiplier: -1, steps: 1) }
        #expect(throws: PrivacyError.malformedSegment("0.1:1")) { try PrivacySegment(parsing: "0.1:1") }
        #expect(throws: PrivacyError.self) { try PrivacySegment.parseHistory("") }
    }

    @Test("log erfc is continuous across its switch to the asymptotic series")
    func logErfc() {
        let below = LogSpace.logErfc(25 - 1e-9), above = LogSpace.logErfc(25.0)  // slope ≈ −50: 5e-8 apart
        #expect(abs(below - above) < 1e-6)
        #expect(LogSpace.logErfc(40).isFinite && LogSpace.logErfc(40) < -1600)
    }
}
