import Foundation
import Testing
@testable import Privacy

/// The ledger's bookkeeping: spends persist and are enforced, and every budget change is explicit.
/// (Tamper evidence: LedgerTamperTests; the seal's key: LedgerSealTests.)
@Suite("Privacy ledger")
struct PrivacyLedgerTests {
    func segment(_ sigma: Double = 1.0, steps: Int = 100) throws -> PrivacySegment {
        try PrivacySegment(sampleRate: 0.01, noiseMultiplier: sigma, steps: steps)
    }

    @Test("round trip: spends survive reopening (history, ε, budget); budget nil keeps the recorded one; read verifies")
    func persists() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        let expected: Double
        do {
            let ledger = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal())
            #expect(ledger.notes.isEmpty)
            try ledger.record(segment(1.0), round: 1)
            try ledger.record(segment(1.5), round: 2)
            expected = ledger.spentEpsilon
            #expect(expected > 0)
        }
        let bytes = try s.bytes(path)
        let reopened = try PrivacyLedger(path: path, budget: nil, seal: s.seal())
        #expect(reopened.spentEpsilon == expected)
        #expect(reopened.budget.epsilon == 3 && reopened.budget.delta == 1e-5)
        #expect(reopened.accountant.segments.count == 2)
        #expect(!reopened.recoveredTornRecord && reopened.notes.isEmpty)
        // The same budget again writes nothing.
        #expect(try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal()).notes.isEmpty)
        #expect(try s.bytes(path) == bytes)
        let seen = try PrivacyLedger.read(path: path, seal: s.seal())
        #expect(seen.verified && seen.accountant == reopened.accountant && seen.lastNoiseMultiplier == 1.5)
        #expect(try s.text(path).hasPrefix("fedtop-ledger 2\nbudget 3.0 1e-05 initial #"))
        #expect(FileManager.default.fileExists(atPath: try s.seal().headPath))
    }

    @Test("a spend is on disk before record returns: a second reader sees it while the writer is still open")
    func writeAhead() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        let writer = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal())
        try writer.record(segment(), round: 1)
        // The writer never closes (as if its process died before sending the update).
        let reader = try PrivacyLedger(path: path, budget: nil, seal: s.seal())
        #expect(reader.spentEpsilon == writer.spentEpsilon && reader.spentEpsilon > 0)
        withExtendedLifetime(writer) {}
    }

    @Test("read-only: a reader sees spends, budget and last σ; a torn tail is left out, nothing written; with the seal an edit throws, without it the result is unverified")
    func readOnly() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        let ledger = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal())
        try ledger.record(segment(1.0), round: 1)
        try ledger.record(segment(1.5), round: 2)
        let seen = try PrivacyLedger.read(path: path, seal: s.seal())
        #expect(seen.accountant.segments == ledger.accountant.segments && seen.verified)
        #expect(seen.budget?.epsilon == 3 && seen.lastNoiseMultiplier == 1.5)
        // A record being written (no newline yet) is not counted, and the file is not touched.
        try s.append("spend 0.01 2.0 100 3 #ab", to: path)
        let bytes = try s.bytes(path)
        #expect(try PrivacyLedger.read(path: path, seal: s.seal()).accountant.segments == ledger.accountant.segments)
        #expect(try s.bytes(path) == bytes)
        // An edited record: the seal finds it; without the seal the format still parses, unverified.
        let edited = try s.text(path).replacingOccurrences(of: "spend 0.01 1.0", with: "spend 0.01 9.0")
        try s.write(edited, to: path)
        #expect(throws: LedgerError.self) { try PrivacyLedger.read(path: path, seal: s.seal()) }
        #expect(try PrivacyLedger.read(path: path, seal: nil).verified == false)
    }

    @Test("a spend past the budget is refused, writes nothing, and says by how much")
    func budgetEnforced() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        let ledger = try PrivacyLedger(path: path, budget: (1.0, 1e-5), seal: s.seal())
        let before = try s.bytes(path)
        let tooMuch = try segment(0.5, steps: 5000)
        do {
            try ledger.record(tooMuch, round: 1)
            Issue.record("an over-budget spend was accepted")
        } catch {
            guard case let .budgetExceeded(_, spent, next, budget) = error else { Issue.record("\(error)"); return }
            #expect(spent == 0 && next > budget && budget == 1.0)
            #expect(error.description.contains(path) && error.description.contains("budget"))
        }
        #expect(try s.bytes(path) == before)
        #expect(ledger.spentEpsilon == 0)
    }

    @Test("setBudget is an explicit record with its reason that survives reopening")
    func setBudget() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        let ledger = try PrivacyLedger(path: path, budget: (1.0, 1e-5), seal: s.seal())
        try ledger.setBudget(epsilon: 2.5, reason: "ethics board approval 2026-11")
        #expect(try PrivacyLedger(path: path, budget: nil, seal: s.seal()).budget.epsilon == 2.5)
        #expect(try s.text(path).contains("ethics board approval"))
    }

    @Test("a budget lowered at open is recorded ('lowered at open'), enforced, and kept on reopening")
    func lowered() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        let spent: Double
        do {
            let ledger = try PrivacyLedger(path: path, budget: (5, 1e-5), seal: s.seal())
            try ledger.record(segment(), round: 1)
            spent = ledger.spentEpsilon
        }
        let low = spent * 1.01  // the next spend does not fit
        let ledger = try PrivacyLedger(path: path, budget: (low, 1e-5), seal: s.seal())
        #expect(ledger.budget.epsilon == low && ledger.recordedBudget?.epsilon == 5)
        #expect(ledger.notes.contains { $0.contains("budget changed at open") })
        #expect(try s.text(path).contains("budget \(low) 1e-05 lowered at open #"))
        let next = try segment()
        #expect(throws: LedgerError.budgetExceeded(path: path, spent: spent, next: ledger.epsilon(after: next), budget: low)) {
            try ledger.record(next, round: 2)
        }
        #expect(try PrivacyLedger(path: path, budget: nil, seal: s.seal()).budget.epsilon == low)
    }

    @Test("a budget change held at open is enforced at once but written only at commitBudget or the first spend; dropped, the file is as it was")
    func heldBudgetChange() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        do { try PrivacyLedger(path: path, budget: (5, 1e-5), seal: s.seal()).record(segment(), round: 1) }
        let bytes = try s.bytes(path), head = try s.bytes(s.seal().headPath)
        // A start that fails after opening (a refused resume): nothing written, the old budget stands.
        do {
            let held = try PrivacyLedger(path: path, budget: (2, 1e-5), seal: s.seal(), holdBudgetChange: true)
            #expect(held.budget.epsilon == 2 && held.holdsBudgetChange)
            let big = try PrivacySegment(sampleRate: 0.5, noiseMultiplier: 0.6, steps: 400)
            #expect(held.epsilon(after: big) > 2)
            #expect(throws: LedgerError.self) { try held.record(big, round: 2) }   // enforced before it is written
        }
        #expect(try s.bytes(path) == bytes && s.bytes(s.seal().headPath) == head)
        #expect(try PrivacyLedger(path: path, budget: nil, seal: s.seal()).budget.epsilon == 5)
        // Committed: recorded once, kept on reopening.
        do {
            let held = try PrivacyLedger(path: path, budget: (2, 1e-5), seal: s.seal(), holdBudgetChange: true)
            try held.commitBudget()
            try held.commitBudget()
            #expect(!held.holdsBudgetChange)
        }
        #expect(try s.text(path).components(separatedBy: "lowered at open").count == 2)
        #expect(try PrivacyLedger(path: path, budget: nil, seal: s.seal()).budget.epsilon == 2)
        // A raise held and then paid by the first spend: the budget record precedes the spend.
        do {
            let held = try PrivacyLedger(path: path, budget: (6, 1e-5), seal: s.seal(), raiseReason: "board", holdBudgetChange: true)
            try held.record(segment(), round: 2)
        }
        let lines = try s.text(path).split(separator: "\n")
        #expect(lines[lines.count - 2].hasPrefix("budget 6.0 1e-05 board #") && lines[lines.count - 1].hasPrefix("spend "))
        #expect(try PrivacyLedger(path: path, budget: nil, seal: s.seal()).budget.epsilon == 6)
        // A new ledger's initial budget is written at once, held or not.
        let fresh = s.ledgerPath("hospital-2")
        _ = try PrivacyLedger(path: fresh, budget: (1, 1e-5), seal: s.seal("hospital-2"), holdBudgetChange: true)
        #expect(try s.text(fresh).contains("budget 1.0 1e-05 initial #"))
    }

    @Test("a budget raised at open without a reason is refused and nothing is written (ledger and head unchanged)")
    func raiseRefused() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        do { try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal()).record(segment(), round: 1) }
        let bytes = try s.bytes(path), head = try s.bytes(s.seal().headPath)
        #expect(throws: LedgerError.budgetRaiseRefused(path: path, recorded: 3, requested: 4)) {
            try PrivacyLedger(path: path, budget: (4, 1e-5), seal: s.seal())
        }
        do { _ = try PrivacyLedger(path: path, budget: (4, 1e-5), seal: s.seal()) } catch {
            #expect(error.description.contains(path) && error.description.contains("--raise-budget REASON"))
        }
        #expect(try s.bytes(path) == bytes && s.bytes(s.seal().headPath) == head)
    }

    @Test("a budget raised at open with a reason is recorded with that reason and holds on reopening")
    func raiseWithReason() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        _ = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal())
        let raised = try PrivacyLedger(path: path, budget: (4, 1e-5), seal: s.seal(), raiseReason: "board\nminute #12")
        #expect(raised.budget.epsilon == 4 && raised.recordedBudget?.epsilon == 3)
        #expect(try s.text(path).contains("budget 4.0 1e-05 board minute  12 #"))
        #expect(try PrivacyLedger(path: path, budget: nil, seal: s.seal()).budget.epsilon == 4)
    }

    @Test("a δ other than the recorded one is refused (raised, lowered, or with a lower ε) and nothing is written")
    func deltaRefused() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        _ = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal())
        let bytes = try s.bytes(path)
        for requested in [(3.0, 1e-4), (3.0, 1e-6), (2.0, 1e-6)] {
            #expect(throws: LedgerError.deltaChangeRefused(path: path, recorded: 1e-5, requested: requested.1)) {
                try PrivacyLedger(path: path, budget: requested, seal: s.seal(), raiseReason: "any")
            }
        }
        #expect(try s.bytes(path) == bytes)
    }

    @Test("a new ledger needs a budget (budget nil creates nothing); an invalid budget is refused naming the file")
    func budgetRequired() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        #expect(throws: LedgerError.budgetRequired(path: path)) { try PrivacyLedger(path: path, budget: nil, seal: s.seal()) }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(throws: LedgerError.invalidBudget(path: path, epsilon: 0, delta: 1e-5)) {
            try PrivacyLedger(path: path, budget: (0, 1e-5), seal: s.seal())
        }
    }

    @Test("a seal whose head is in the ledger's own folder is refused (deleting both would restart at ε 0)")
    func sealBeside() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let seal = try LedgerSeal.loadOrCreate(directory: s.root + "/ledgers", name: "hospital-1")
        #expect(throws: LedgerError.sealBesideLedger(path: s.ledgerPath(), head: seal.headPath)) {
            try PrivacyLedger(path: s.ledgerPath(), budget: (3, 1e-5), seal: seal)
        }
    }
}
