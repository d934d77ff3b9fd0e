import Foundation
import Testing
@testable import Privacy

/// Skellam spends in the privacy ledger: durable, replayed with the Gaussian ones, parsed strictly.
@Suite("Privacy ledger with Skellam spends")
struct SkellamLedgerTests {
    func temporaryPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-ledger-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("federation.ledger").path
    }

    func skellam(_ mu: Double = 90_000, steps: Int = 100) throws -> SkellamSegment {
        try SkellamSegment(sampleRate: 0.05, variance: mu, l1Sensitivity: 2500.5, l2Sensitivity: 100, steps: steps)
    }

    func gaussian(_ sigma: Double = 1.2, steps: Int = 100) throws -> PrivacySegment {
        try PrivacySegment(sampleRate: 0.01, noiseMultiplier: sigma, steps: steps)
    }

    /// A ledger line as the ledger writes it: the record, " #" and its checksum.
    func line(_ record: String) -> String { "\(record) #\(PrivacyLedger.checksum(record))\n" }

    @Test("mixed Gaussian and Skellam spends round-trip: reopening and read(path:) give the same history and ε")
    func roundTrip() throws {
        let path = temporaryPath()
        let expected: Double, accountant: RDPAccountant
        do {
            let ledger = try PrivacyLedger(path: path, budget: (20, 1e-5))
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

        let reopened = try PrivacyLedger(path: path, budget: (1, 1e-3))
        #expect(reopened.spentEpsilon == expected)
        #expect(reopened.accountant == accountant)
        #expect(reopened.accountant.skellamSegments == [try skellam(90_000, steps: 200), try skellam(250_000, steps: 7)])
        #expect(reopened.accountant.segments.count == 2)
        let seen = try PrivacyLedger.read(path: path)
        #expect(seen.accountant == accountant && seen.lastNoiseMultiplier == 1.5)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("skellam 0.05 90000.0 2500.5 100.0 100 2 #"))
    }

    @Test("crash after record: a Skellam spend is on disk before record returns, and a torn one is dropped")
    func crash() throws {
        let path = temporaryPath()
        let writer = try PrivacyLedger(path: path, budget: (10, 1e-5))
        try writer.record(skellam(), round: 1)
        // The writer never closes (its process died before sending the noised share).
        let reader = try PrivacyLedger(path: path, budget: (10, 1e-5))
        #expect(reader.spentEpsilon == writer.spentEpsilon && reader.spentEpsilon > 0)
        #expect(reader.accountant.skellamSegments == [try skellam()])
        withExtendedLifetime(writer) {}
        // A Skellam record torn mid-append (no checksum, no newline) is dropped; the ledger goes on.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("skellam 0.05 90000.0 2500.5 10".utf8))
        try handle.close()
        let recovered = try PrivacyLedger(path: path, budget: (10, 1e-5))
        #expect(recovered.recoveredTornRecord && recovered.spentEpsilon == reader.spentEpsilon)
        try recovered.record(skellam(), round: 2)
        let again = try PrivacyLedger(path: path, budget: (10, 1e-5))
        #expect(!again.recoveredTornRecord && again.accountant.skellamSegments[0].steps == 200)
    }

    @Test("a Skellam spend past the budget is refused and writes nothing")
    func budget() throws {
        let path = temporaryPath()
        let ledger = try PrivacyLedger(path: path, budget: (1, 1e-5))
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(throws: LedgerError.self) { try ledger.record(skellam(100, steps: 1000), round: 1) }
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == size)
        #expect(ledger.spentEpsilon == 0 && ledger.accountant.skellamSegments.isEmpty)
    }

    @Test("an old ledger (spend and budget records only) still reads")
    func oldLedger() throws {
        let path = temporaryPath()
        let text = line("budget 3.0 1e-05 initial") + line("spend 0.01 1.0 100 1") + line("budget 4.0 1e-05 raised by the board")
            + line("spend 0.01 1.1 50 2")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let seen = try PrivacyLedger.read(path: path)
        #expect(seen.budget?.epsilon == 4 && seen.lastNoiseMultiplier == 1.1)
        #expect(seen.accountant.segments.count == 2 && seen.accountant.skellamSegments.isEmpty)
    }

    @Test("an unknown or garbled record before the end is an error naming the line, even with a valid checksum",
          arguments: ["laplace 0.01 1.0 100 2",                       // a kind this reader does not know
                      "skellam 0.05 90000.0 2500.5 100.0 100",         // a field missing
                      "skellam 0.05 90000.0 2500.5 100.0 100 2 9",     // a field too many
                      "skellam 0.05 90000.0 50.0 100.0 100 2",         // Δ₁ < Δ₂
                      "skellam 0.05 -1 2500.5 100.0 100 2",            // μ < 0
                      "skellam 0.05 9e4 2500.5 100.0 100 two"])        // round not a number
    func garbled(record: String) throws {
        let path = temporaryPath()
        let text = line("budget 3.0 1e-05 initial") + line(record) + line("spend 0.01 1.0 100 3")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: LedgerError.damaged(path: path, line: 2, text: String(line(record).dropLast()))) {
            try PrivacyLedger.read(path: path)
        }
        do { _ = try PrivacyLedger(path: path, budget: (3, 1e-5)) } catch { #expect(error.description.contains("line 2")) }
    }

    @Test("an edited Skellam record (more noise claimed) fails its checksum")
    func tampered() throws {
        let path = temporaryPath()
        do {
            let ledger = try PrivacyLedger(path: path, budget: (10, 1e-5))
            try ledger.record(skellam(90_000), round: 1)
            try ledger.record(gaussian(), round: 2)
        }
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "skellam 0.05 90000.0", with: "skellam 0.05 900000.0")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: LedgerError.self) { try PrivacyLedger.read(path: path) }
    }
}
