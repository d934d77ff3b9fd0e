import Foundation
import Testing
@testable import Privacy

/// Tamper evidence: whoever can edit the ledger's folder (but not the seal's directory) cannot
/// delete, reorder, edit, cut or empty the ledger unnoticed; crashes are still recovered from.
@Suite("Privacy ledger: tamper evidence")
struct LedgerTamperTests {
    func segment(_ sigma: Double = 1.0, steps: Int = 100) throws -> PrivacySegment {
        try PrivacySegment(sampleRate: 0.01, noiseMultiplier: sigma, steps: steps)
    }

    /// A sealed ledger of 4 records: the initial budget (line 2) and three spends (lines 3–5).
    func makeLedger(_ s: LedgerScratch, name: String = "hospital-1", sigmas: [Double] = [1.0, 1.2, 1.5]) throws -> String {
        let path = s.ledgerPath(name)
        let ledger = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal(name))
        for (round, sigma) in sigmas.enumerated() { try ledger.record(segment(sigma), round: round + 1) }
        return path
    }

    func reopen(_ s: LedgerScratch, _ path: String, allowNew: Bool = false) throws(LedgerError) -> PrivacyLedger {
        try PrivacyLedger(path: path, budget: nil, seal: s.seal(), allowNew: allowNew)
    }

    @Test("deleting a whole record (the first, one in the middle, the last) is an error naming its line, and writes nothing",
          arguments: [2, 3, 5])
    func deleteRecord(line: Int) throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = try makeLedger(s)
        var lines = try s.lines(path)
        let following = line < lines.count ? lines[line] : nil  // moves up into the deleted record's line
        lines.remove(at: line - 1)
        try s.write(lines.joined(separator: "\n") + "\n", to: path)
        let bytes = try s.bytes(path)
        do {
            _ = try reopen(s, path)
            Issue.record("a ledger with line \(line) deleted was accepted")
        } catch {
            if let following {
                #expect(error == .chainBroken(path: path, line: line, text: following))
            } else {
                #expect(error == .truncated(path: path, expected: 4, found: 3))
            }
            #expect(error.description.contains(path) && error.description.contains("line \(line)"))
        }
        #expect(try s.bytes(path) == bytes)
    }

    @Test("swapping two records breaks the chain at the first of them")
    func swapRecords() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = try makeLedger(s)
        var lines = try s.lines(path)
        lines.swapAt(2, 3)
        try s.write(lines.joined(separator: "\n") + "\n", to: path)
        #expect(throws: LedgerError.chainBroken(path: path, line: 3, text: lines[2])) { try reopen(s, path) }
    }

    @Test("an edited budget is refused: with its unkeyed checksum recomputed, as a whole v1 file, or sealed with another key")
    func editBudget() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = try makeLedger(s)
        let lines = try s.lines(path)
        let records = lines.dropFirst().map { LedgerFormat.splitMAC($0)!.text }
        let forged = ["budget 30.0 1e-05 initial"] + records.dropFirst()

        // The budget line edited and an FNV checksum recomputed (the v1 protection).
        var edited = lines
        edited[1] = "\(forged[0]) #\(PrivacyLedger.checksum(forged[0]))"
        try s.write(edited.joined(separator: "\n") + "\n", to: path)
        #expect(throws: LedgerError.damaged(path: path, line: 2, text: edited[1])) { try reopen(s, path) }

        // The whole file rewritten as an unkeyed v1 ledger, while its head exists.
        try s.write(LedgerScratch.legacy(forged), to: path)
        let headPath = try s.seal().headPath
        #expect(throws: LedgerError.legacyFormat(path: path, head: headPath)) { try reopen(s, path) }

        // The whole file re-sealed with another key.
        let other = try LedgerSeal(key: (0..<32).map { _ in UInt8.random(in: 0...255) }, headPath: s.root + "/other-head")
        let resealed = LedgerScratch.forge(forged, seal: other)
        try s.write(resealed, to: path)
        let line2 = resealed.split(separator: "\n").map(String.init)[1]
        #expect(throws: LedgerError.chainBroken(path: path, line: 2, text: line2)) { try reopen(s, path) }
        #expect(throws: LedgerError.chainBroken(path: path, line: 2, text: line2)) { try PrivacyLedger.read(path: path, seal: s.seal()) }
    }

    @Test("a committed last record cut short (newline and a few bytes removed) is an error, not a torn write to drop")
    func truncatedCommitted() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = try makeLedger(s)
        var bytes = try s.bytes(path)
        bytes.removeLast(6)
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(throws: LedgerError.truncated(path: path, expected: 4, found: 3)) { try reopen(s, path) }
        #expect(try s.bytes(path) == bytes)
    }

    @Test("a torn, uncommitted tail (half a line, or a whole record without its newline, after the head) is cut and noted")
    func tornTail() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = try makeLedger(s)
        let bytes = try s.bytes(path)
        let spent = try reopen(s, path).spentEpsilon
        let last = LedgerFormat.splitMAC(try s.lines(path).last!)!.mac
        let whole = "spend 0.01 1.0 100 4 #" + (try s.seal().mac(index: 4, previous: last, record: "spend 0.01 1.0 100 4"))
        for torn in ["spend 0.01 1.0 10", whole] {
            try s.append(torn, to: path)
            let recovered = try reopen(s, path)
            #expect(recovered.recoveredTornRecord && recovered.spentEpsilon == spent)
            #expect(recovered.notes.contains { $0.contains("torn") && $0.contains("line 6") })
            #expect(try s.bytes(path) == bytes)
        }
        let ledger = try reopen(s, path)
        try ledger.record(segment(), round: 4)
        let again = try reopen(s, path)
        #expect(!again.recoveredTornRecord && again.notes.isEmpty && again.spentEpsilon > spent)
    }

    @Test("a ledger one record ahead of its head (crash between append and head update) is accepted, counted, and the head updated; two ahead is refused")
    func aheadOfHead() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = try makeLedger(s)
        let headPath = try s.seal().headPath
        let oldHead = try s.bytes(headPath)
        let ledger = try reopen(s, path)
        try ledger.record(segment(2.0), round: 4)
        let newHead = try s.bytes(headPath)
        try oldHead.write(to: URL(fileURLWithPath: headPath))  // what a crash before the head update leaves
        let reopened = try reopen(s, path)
        #expect(reopened.spentEpsilon == ledger.spentEpsilon)
        #expect(reopened.notes.contains { $0.contains("head was not updated") && $0.contains("line 6") })
        #expect(try s.bytes(headPath) == newHead)

        try reopened.record(segment(2.0), round: 5)
        try oldHead.write(to: URL(fileURLWithPath: headPath))
        #expect(throws: LedgerError.headBehind(path: path, head: headPath, recorded: 4, found: 6)) { try reopen(s, path) }
    }

    @Test("an emptied or deleted ledger whose head recorded spends is an error, unless a new ledger is allowed (noted)",
          arguments: ["", "fedtop-ledger 2\n", nil])
    func missing(contents: String?) throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = try makeLedger(s)
        if let contents { try s.write(contents, to: path) } else { try FileManager.default.removeItem(atPath: path) }
        #expect(throws: LedgerError.missing(path: path, records: 4)) { try reopen(s, path) }
        do { _ = try reopen(s, path) } catch { #expect(error.description.contains("--new-ledger")) }
        // A new ledger needs its budget again: there is none recorded.
        #expect(throws: LedgerError.budgetRequired(path: path)) { try reopen(s, path, allowNew: true) }
        let fresh = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal(), allowNew: true)
        #expect(fresh.spentEpsilon == 0 && fresh.budget.epsilon == 3)
        #expect(fresh.notes.contains { $0.contains("--new-ledger") && $0.contains("4 records") })
        let reopened = try reopen(s, path)
        #expect(reopened.notes.isEmpty && reopened.accountant.segments.isEmpty)
    }

    @Test("an edited head record is an error naming the head file")
    func headEdited() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = try makeLedger(s)
        let headPath = try s.seal().headPath
        let head = try s.text(headPath)
        #expect(head.hasPrefix("count 4 mac "))
        try s.write(head.replacingOccurrences(of: "count 4", with: "count 3"), to: headPath)
        #expect(throws: LedgerError.headDamaged(path: headPath, ledger: path)) { try reopen(s, path) }
        do { _ = try reopen(s, path) } catch { #expect(error.description.contains(headPath)) }
    }

    @Test("a ledger replaced by another one sealed with the same key (another hospital's) is refused")
    func replaced() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = try makeLedger(s)
        let other = try makeLedger(s, name: "hospital-2", sigmas: [3.0, 3.0, 3.0])
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: other, toPath: path)
        let headPath = try s.seal().headPath
        #expect(throws: LedgerError.headMismatch(path: path, head: headPath, records: 4)) { try reopen(s, path) }
    }

    @Test("a legacy v1 ledger opened with the same ε is upgraded to a sealed v2 ledger: same spends, no budget record, noted")
    func upgradeV1() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        let records = ["budget 3.0 1e-05 initial", "spend 0.01 1.0 100 1", "budget 4.0 1e-05 raised by the board",
                       "skellam 0.05 90000.0 2500.5 100.0 100 2", "spend 0.01 1.1 50 3"]
        try s.write(LedgerScratch.legacy(records), to: path)
        let ledger = try PrivacyLedger(path: path, budget: (4, 1e-5), seal: s.seal())
        #expect(ledger.notes.contains { $0.contains("upgraded from an unkeyed v1 ledger") })
        #expect(ledger.budget.epsilon == 4 && ledger.accountant.segments.count == 2 && ledger.accountant.skellamSegments.count == 1)
        #expect(try s.lines(path).dropFirst().map { LedgerFormat.splitMAC($0)!.text } == records)
        #expect(try s.lines(path).first == "fedtop-ledger 2")
        let reopened = try reopen(s, path)
        #expect(reopened.notes.isEmpty && reopened.spentEpsilon == ledger.spentEpsilon)
        #expect(try PrivacyLedger.read(path: path, seal: s.seal()).verified)
        // Spending goes on in the sealed ledger.
        try reopened.record(segment(), round: 4)
        #expect(try reopen(s, path).spentEpsilon == reopened.spentEpsilon)
    }

    @Test("a legacy v1 ledger's torn tail is dropped on upgrade, and a damaged v1 line refuses the upgrade")
    func upgradeV1Torn() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        let v1 = LedgerScratch.legacy(["budget 3.0 1e-05 initial", "spend 0.01 1.0 100 1"])
        try s.write(v1 + "spend 0.01 1.0 1", to: path)
        let ledger = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal())
        #expect(ledger.recoveredTornRecord && ledger.accountant.segments.count == 1)
        #expect(try s.lines(path).count == 3)

        let other = s.ledgerPath("hospital-2")
        try s.write(v1.replacingOccurrences(of: "spend 0.01 1.0", with: "spend 0.01 9.0"), to: other)
        #expect(throws: LedgerError.self) { try PrivacyLedger(path: other, budget: (3, 1e-5), seal: s.seal("hospital-2")) }
        let otherHead = try s.seal("hospital-2").headPath
        #expect(!FileManager.default.fileExists(atPath: otherHead))
    }
}
