import Foundation
import Testing
@testable import Privacy

/// Pure-DP answers (a served model's private predictions) in the accountant and the ledger.
@Suite("Pure-DP answers: accounting and the ledger")
struct PureDPAccountingTests {
    /// The Balle et al. conversion of k answers' RDP, k·min(ε, α·ε²/2), written out here, and basic
    /// composition k·ε: the accountant must report the smaller.
    static func expected(epsilon: Double, count: Int, delta: Double) -> Double {
        var best = Double.infinity
        for alpha in RDPAccountant.defaultOrders {
            let r = Double(count) * min(epsilon, alpha * epsilon * epsilon / 2)
            let e = delta * delta + expm1(-r) > 0 ? 0 : r + log1p(-1 / alpha) - log(delta * alpha) / (alpha - 1)
            best = min(best, e)
        }
        return min(Double(count) * epsilon, max(0, best))
    }

    /// ε at δ = 1e-6 of `count` answers of `epsilon` each, computed outside Swift: mpmath at 40 digits, the
    /// same order grid, Balle et al. 2020 (Thm. 21) over k·min(ε, αε²/2), then the smaller of that and kε.
    static let reference: [Int: Double] = [1: 1.0, 3: 1.5, 1_000: 20.551991629803824, 50: 100.0, 100_000: 20.551991629803823]

    @Test("one answer costs exactly its ε (basic composition, order ∞); many cost the RDP bound, far below their sum",
          arguments: [(1.0, 1), (0.5, 3), (0.1, 1000), (2.0, 50), (0.01, 100_000)])
    func accounting(epsilon: Double, count: Int) throws {
        var accountant = RDPAccountant()
        // In pieces, as requests arrive: the composition adds.
        for piece in [count / 2, count - count / 2] { accountant.compose(try PureDPSegment(epsilon: epsilon, count: piece)) }
        let (reported, order) = accountant.epsilon(delta: 1e-6)
        let want = Self.expected(epsilon: epsilon, count: count, delta: 1e-6)
        #expect(abs(reported - want) <= 1e-12 * want, "\(count) × \(epsilon): \(reported) vs \(want)")
        // The values computed outside Swift (keyed by the count).
        let independent = try #require(Self.reference[count])
        #expect(abs(reported - independent) <= 1e-9 * independent, "\(count) × \(epsilon): \(reported) vs mpmath \(independent)")
        // Bun & Steinke 2016: ε-DP answers are (ε²/2)-zCDP, and ρ-zCDP gives ε = ρ + 2√(ρ ln 1/δ); the RDP
        // conversion is tighter, never looser.
        let rho = Double(count) * epsilon * epsilon / 2
        #expect(reported <= rho + 2 * (rho * log(1e6)).squareRoot() || reported == Double(count) * epsilon)
        #expect(reported <= Double(count) * epsilon + 1e-12)
        if count == 1 { #expect(reported == epsilon && order == .infinity) }
        if count >= 1000 { #expect(reported < 0.5 * Double(count) * epsilon) }
        #expect(accountant.pureSegments == [try PureDPSegment(epsilon: epsilon, count: count)])
    }

    @Test("beside Gaussian steps the sum of the ε's is no bound: the conversion of the whole history is reported")
    func mixedHistory() throws {
        var mixed = RDPAccountant()
        mixed.compose(try PrivacySegment(sampleRate: 0.01, noiseMultiplier: 1.1, steps: 100))
        mixed.compose(try PureDPSegment(epsilon: 0.5, count: 1))
        var rdpOnly = RDPAccountant()
        rdpOnly.compose(try PrivacySegment(sampleRate: 0.01, noiseMultiplier: 1.1, steps: 100))
        let withAnswer = RDPAccountant.epsilon(rdp: mixed.rdp, orders: mixed.orders, delta: 1e-5)
        #expect(mixed.epsilon(delta: 1e-5) == withAnswer)
        #expect(withAnswer.epsilon > rdpOnly.epsilon(delta: 1e-5).epsilon)
    }

    @Test("ε ≤ 0, infinite or NaN per answer, or a negative count, is refused")
    func invalid() {
        for bad in [0, -1, .infinity, .nan] {
            #expect(throws: PrivacyError.self) { try PureDPSegment(epsilon: bad, count: 1) }
        }
        #expect(throws: PrivacyError.self) { try PureDPSegment(epsilon: 1, count: -1) }
    }

    @Test("answers are recorded durably and replayed; past the budget nothing is written; a bad answer line is damage")
    func ledger() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath("key-3f9c")
        let seal = try s.seal("key-3f9c")
        let ledger = try PrivacyLedger(path: path, budget: (3, 1e-6), seal: seal)
        try ledger.record(try PureDPSegment(epsilon: 1, count: 1), sequence: 1)
        try ledger.record(try PureDPSegment(epsilon: 1, count: 1), sequence: 2)
        #expect(ledger.spentEpsilon == 2)
        #expect(ledger.epsilon(after: try PureDPSegment(epsilon: 1.5, count: 1)) == 3.5)
        let before = try s.bytes(path)
        #expect(throws: LedgerError.budgetExceeded(path: path, spent: 2, next: 3.5, budget: 3)) {
            try ledger.record(try PureDPSegment(epsilon: 1.5, count: 1), sequence: 3)
        }
        #expect(try s.bytes(path) == before && ledger.spentEpsilon == 2)

        let reopened = try PrivacyLedger(path: path, budget: nil, seal: seal)
        #expect(reopened.spentEpsilon == 2 && reopened.accountant == ledger.accountant)
        #expect(try s.text(path).contains("answer 1.0 1 2 #"))
        // Answers are numbered in the order they were paid: a number not after the last is refused, nothing written.
        #expect(reopened.lastAnswerSequence == 2)
        for stale in [2, 1, 0] {
            #expect(throws: LedgerError.sequenceNotIncreasing(path: path, last: 2, given: stale)) {
                try reopened.record(try PureDPSegment(epsilon: 0.1, count: 1), sequence: stale)
            }
        }
        #expect(try s.bytes(path) == before)

        // A forger with the key writes an answer record that does not parse: refused, not skipped.
        let lines = try s.lines(path).dropFirst().map { String($0.split(separator: "#")[0].dropLast()) }
        try s.write(LedgerScratch.forge(lines + ["answer 1.0 x 3"], seal: seal), to: path)
        #expect(throws: LedgerError.self) { try PrivacyLedger.read(path: path, seal: seal) }
    }
}
