import Foundation
import Testing
import Privacy

@Suite("Privacy ledger")
struct PrivacyLedgerTests {
    func temporaryPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-ledger-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("hospital-1.ledger").path
    }

    func segment(_ sigma: Double = 1.0, steps: Int = 100) throws -> PrivacySegment {
        try PrivacySegment(sampleRate: 0.01, noiseMultiplier: sigma, steps: steps)
    }

    @Test("spends survive reopening: the same history, ε and budget")
    func persists() throws {
        let path = temporaryPath()
        let expected: Double
        do {
            let ledger = try PrivacyLedger(path: path, budget: (3, 1e-5))
            try ledger.record(segment(1.0), round: 1)
            try ledger.record(segment(1.5), round: 2)
            expected = ledger.spentEpsilon
            #expect(expected > 0)
        }
        let reopened = try PrivacyLedger(path: path, budget: (99, 1e-3))  // the file's own budget wins
        #expect(reopened.spentEpsilon == expected)
        #expect(reopened.budget.epsilon == 3 && reopened.budget.delta == 1e-5)
        #expect(reopened.accountant.segments.count == 2)
        #expect(!reopened.recoveredTornRecord)
    }

    @Test("a spend is on disk before record returns: a second reader sees it while the writer is still open")
    func writeAhead() throws {
        let path = temporaryPath()
        let writer = try PrivacyLedger(path: path, budget: (3, 1e-5))
        try writer.record(segment(), round: 1)
        // The writer never closes (as if its process died before sending the update).
        let reader = try PrivacyLedger(path: path, budget: (3, 1e-5))
        #expect(reader.spentEpsilon == writer.spentEpsilon && reader.spentEpsilon > 0)
        withExtendedLifetime(writer) {}
    }

    @Test("read-only: another reader sees the writer's spends, budget and last σ; a torn tail is left out, damage throws")
    func readOnly() throws {
        let path = temporaryPath()
        let ledger = try PrivacyLedger(path: path, budget: (3, 1e-5))
        try ledger.record(segment(1.0), round: 1)
        try ledger.record(segment(1.5), round: 2)
        let seen = try PrivacyLedger.read(path: path)
        #expect(seen.accountant.segments == ledger.accountant.segments)
        #expect(seen.budget?.epsilon == 3 && seen.lastNoiseMultiplier == 1.5)
        // A record being written (no newline yet) is not counted, and the file is not touched.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("spend 0.01 2.0 100 3 #ab".utf8))
        try handle.close()
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(try PrivacyLedger.read(path: path).accountant.segments == ledger.accountant.segments)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == size)
        // A damaged record before the end is an error naming the line.
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "spend 0.01 1.0", with: "spend 0.01 0.1") + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: LedgerError.self) { try PrivacyLedger.read(path: path) }
    }

    @Test("a spend past the budget is refused, writes nothing, and says by how much")
    func budgetEnforced() throws {
        let path = temporaryPath()
        let ledger = try PrivacyLedger(path: path, budget: (1.0, 1e-5))
        let before = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        do {
            try ledger.record(segment(0.5, steps: 5000), round: 1)
            Issue.record("an over-budget spend was accepted")
        } catch let error as LedgerError {
            guard case let .budgetExceeded(_, spent, next, budget) = error else { Issue.record("\(error)"); return }
            #expect(spent == 0 && next > budget && budget == 1.0)
            #expect(error.description.contains(path) && error.description.contains("budget"))
        }
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int == before)
        #expect(ledger.spentEpsilon == 0)
    }

    @Test("raising the budget is an explicit record that survives reopening")
    func raiseBudget() throws {
        let path = temporaryPath()
        let ledger = try PrivacyLedger(path: path, budget: (1.0, 1e-5))
        try ledger.setBudget(epsilon: 2.5, reason: "ethics board approval 2026-11")
        #expect(try PrivacyLedger(path: path, budget: (1, 1e-5)).budget.epsilon == 2.5)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("ethics board approval"))
    }

    @Test("a record torn by a crash mid-append is dropped (its update never left), and the ledger goes on cleanly")
    func tornTail() throws {
        let path = temporaryPath()
        let spent: Double
        do {
            let ledger = try PrivacyLedger(path: path, budget: (5, 1e-5))
            try ledger.record(segment(), round: 1)
            spent = ledger.spentEpsilon
        }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("spend 0.01 1.0 10".utf8))  // no checksum, no newline: torn
        handle.closeFile()
        let recovered = try PrivacyLedger(path: path, budget: (5, 1e-5))
        #expect(recovered.recoveredTornRecord)
        #expect(recovered.spentEpsilon == spent)
        try recovered.record(segment(), round: 2)
        let again = try PrivacyLedger(path: path, budget: (5, 1e-5))
        #expect(!again.recoveredTornRecord && again.accountant.segments[0].steps == 200)
    }

    @Test("a damaged or edited line before the end is an error naming the line")
    func damaged() throws {
        let path = temporaryPath()
        do {
            let ledger = try PrivacyLedger(path: path, budget: (5, 1e-5))
            try ledger.record(segment(), round: 1)
            try ledger.record(segment(), round: 2)
        }
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "spend 0.01 1.0 100 1", with: "spend 0.01 9.0 100 1")  // lowering the spend
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: LedgerError.self) { try PrivacyLedger(path: path, budget: (5, 1e-5)) }
        do { _ = try PrivacyLedger(path: path, budget: (5, 1e-5)) } catch { #expect(error.description.contains("line 2")) }
    }
}
