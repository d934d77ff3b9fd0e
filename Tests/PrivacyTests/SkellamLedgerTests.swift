import Foundation
import Testing
@testable import Privacy

/// Skellam spends in the privacy ledger: durable, replayed with the Gaussian ones, parsed strictly.
@Suite("Privacy ledger with Skellam spends")
struct SkellamLedgerTests {
    func skellam(_ mu: Double = 90_000, steps: Int = 100) throws -> SkellamSegment {
        try SkellamSegment(sampleRate: 0.05, variance: mu, l1Sensitivity: 2500.5, l2Sensitivity: 100, steps: steps)
    }

    func gaussian(_ sigma: Double = 1.2, steps: Int = 100) throws -> PrivacySegment {
        try PrivacySegment(sampleRate: 0.01, noiseMultiplier: sigma, steps: steps)
    }

    /// A v1 ledger line as the old ledger wrote it: the record, " #" and its FNV checksum.
    func line(_ record: String) -> String { "\(record) #\(PrivacyLedger.checksum(record))\n" }

    @Test("mixed Gaussian and Skellam spends round-trip: reopening and read(path:seal:) give the same history and ε")
    func roundTrip() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath("federation")
        let seal = try s.seal("federation")
        let expected: Double, accountant: RDPAccountant
        do {
            let ledger = try PrivacyLedger(path: path, budget: (20, 1e-5), seal: seal)
            try ledger.record(gaussian(1.2), round: 1)
            try ledger.record(skellam(90_000), round: 2)
            try ledger.record(skellam(90_000), round: 3)
            try ledger.record(gaussian(1.5), round: 4)
            try ledger.record(skellam(250_000, steps: 7), round: 5)
            #expect(ledger.epsilon(after: try skellam(1e6, steps: 0)) == ledger.spentEpsilon)
            expected = ledger.spentEpsilon
            accountant = ledger.accountant
        }
        var direct = RDPAccountant()
        for s in [try gaussian(1.2), try gaussian(1.5)] { direct.compose(s) }
        for s in [try skellam(90_000, steps: 200), try skellam(250_000, steps: 7)] { direct.compose(s) }
        #expect(abs(expected - direct.epsilon(delta: 1e-5).epsilon) <= 1e-12 * expected)

        let reopened = try PrivacyLedger(path: path, budget: nil, seal: seal)
        #expect(reopened.spentEpsilon == expected)
        #expect(reopened.accountant == accountant)
        #expect(reopened.accountant.skellamSegments == [try skellam(90_000, steps: 200), try skellam(250_000, steps: 7)])
        #expect(reopened.accountant.segments.count == 2)
        let seen = try PrivacyLedger.read(path: path, seal: seal)
        #expect(seen.accountant == accountant && seen.lastNoiseMultiplier == 1.5 && seen.verified)
        #expect(try s.text(path).contains("skellam 0.05 90000.0 2500.5 100.0 100 2 #"))
    }

    @Test("crash after record: a Skellam spend is on disk before record returns, and a torn uncommitted one is cut")
    func crash() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath("federation")
        let seal = try s.seal("federation")
        let writer = try PrivacyLedger(path: path, budget: (10, 1e-5), seal: seal)
        try writer.record(skellam(), round: 1)
        // The writer never closes (its process died before sending the noised share).
        let reader = try PrivacyLedger(path: path, budget: nil, seal: seal)
        #expect(reader.spentEpsilon == writer.spentEpsilon && reader.spentEpsilon > 0)
        #expect(reader.accountant.skellamSegments == [try skellam()])
        withExtendedLifetime(writer) {}
        // A Skellam record torn mid-append (no MAC, no newline) is cut; the ledger goes on.
        try s.append("skellam 0.05 90000.0 2500.5 10", to: path)
        let recovered = try PrivacyLedger(path: path, budget: nil, seal: seal)
        #expect(recovered.recoveredTornRecord && recovered.spentEpsilon == reader.spentEpsilon)
        try recovered.record(skellam(), round: 2)
        let again = try PrivacyLedger(path: path, budget: nil, seal: seal)
        #expect(!again.recoveredTornRecord && again.accountant.skellamSegments[0].steps == 200)
    }

    @Test("a Skellam spend past the budget is refused and writes nothing")
    func budget() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath("federation")
        let ledger = try PrivacyLedger(path: path, budget: (1, 1e-5), seal: s.seal("federation"))
        let bytes = try s.bytes(path)
        #expect(throws: LedgerError.self) { try ledger.record(skellam(100, steps: 1000), round: 1) }
        #expect(try s.bytes(path) == bytes)
        #expect(ledger.spentEpsilon == 0 && ledger.accountant.skellamSegments.isEmpty)
    }

    @Test("an old v1 ledger (spend and budget records only) still reads without a seal, unverified")
    func oldLedger() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath("federation")
        let text = line("budget 3.0 1e-05 initial") + line("spend 0.01 1.0 100 1") + line("budget 4.0 1e-05 raised by the board")
            + line("spend 0.01 1.1 50 2")
        try s.write(text, to: path)
        let seen = try PrivacyLedger.read(path: path, seal: nil)
        #expect(seen.budget?.epsilon == 4 && seen.lastNoiseMultiplier == 1.1 && !seen.verified)
        #expect(seen.accountant.segments.count == 2 && seen.accountant.skellamSegments.isEmpty)
        #expect(throws: LedgerError.legacyFormat(path: path, head: nil)) { try PrivacyLedger.read(path: path, seal: s.seal("federation")) }
    }

    @Test("an unknown or garbled record before the end is an error naming the line, even with a valid checksum or MAC",
          arguments: ["laplace 0.01 1.0 100 2",                       // a kind this reader does not know
                      "skellam 0.05 90000.0 2500.5 100.0 100",         // a field missing
                      "skellam 0.05 90000.0 2500.5 100.0 100 2 9",     // a field too many
                      "skellam 0.05 90000.0 50.0 100.0 100 2",         // Δ₁ < Δ₂
                      "skellam 0.05 -1 2500.5 100.0 100 2",            // μ < 0
                      "skellam 0.05 9e4 2500.5 100.0 100 two"])        // round not a number
    func garbled(record: String) throws {
        let s = try LedgerScratch(); defer { s.remove() }
        // v1 (FNV checksum): line 2, read without a seal or opened (upgrade) with one.
        let path = s.ledgerPath("federation")
        let text = line("budget 3.0 1e-05 initial") + line(record) + line("spend 0.01 1.0 100 3")
        try s.write(text, to: path)
        #expect(throws: LedgerError.damaged(path: path, line: 2, text: String(line(record).dropLast()))) {
            try PrivacyLedger.read(path: path, seal: nil)
        }
        do { _ = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal("federation")) } catch {
            #expect(error.description.contains("line 2"))
        }
        // v2 with a valid MAC (as a newer writer holding the key would seal it): line 3, after the header.
        let sealed = s.ledgerPath("sealed")
        let seal = try s.seal("sealed")
        let forged = LedgerScratch.forge(["budget 3.0 1e-05 initial", record, "spend 0.01 1.0 100 3"], seal: seal)
        try s.write(forged, to: sealed)
        let recordLine = forged.split(separator: "\n").map(String.init)[2]
        #expect(throws: LedgerError.damaged(path: sealed, line: 3, text: recordLine)) { try PrivacyLedger.read(path: sealed, seal: seal) }
        #expect(throws: LedgerError.damaged(path: sealed, line: 3, text: recordLine)) {
            try PrivacyLedger(path: sealed, budget: nil, seal: seal)
        }
    }

    @Test("an edited Skellam record (more noise claimed) fails its MAC")
    func tampered() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath("federation")
        let seal = try s.seal("federation")
        do {
            let ledger = try PrivacyLedger(path: path, budget: (10, 1e-5), seal: seal)
            try ledger.record(skellam(90_000), round: 1)
            try ledger.record(gaussian(), round: 2)
        }
        let edited = try s.text(path).replacingOccurrences(of: "skellam 0.05 90000.0", with: "skellam 0.05 900000.0")
        try s.write(edited, to: path)
        let line3 = edited.split(separator: "\n").map(String.init)[2]
        #expect(throws: LedgerError.chainBroken(path: path, line: 3, text: line3)) { try PrivacyLedger.read(path: path, seal: seal) }
        #expect(throws: LedgerError.chainBroken(path: path, line: 3, text: line3)) { try PrivacyLedger(path: path, budget: nil, seal: seal) }
    }
}
