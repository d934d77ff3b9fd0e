import Foundation
import Testing
@testable import Privacy

/// The ledger's seal: its key file is created safely and refused when it could have leaked or been
/// damaged; a ledger verifies only under its own key.
@Suite("Ledger seal")
struct LedgerSealTests {
    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    func keyBytes(_ seal: LedgerSeal) -> [UInt8] { seal.key.withUnsafeBytes { Array($0) } }

    @Test("loadOrCreate creates the directory (0700) and a 32-byte key (0600), reloads the same key, and names the head")
    func creates() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let seal = try LedgerSeal.loadOrCreate(directory: s.sealDirectory + "/", name: "hospital-1")
        let keyPath = s.sealDirectory + "/ledger.key"
        #expect(try s.bytes(keyPath).count == 32)
        #expect(try mode(keyPath) == 0o600 && mode(s.sealDirectory) & 0o077 == 0)
        #expect(seal.headPath == s.sealDirectory + "/hospital-1.ledger-head")
        let again = try LedgerSeal.loadOrCreate(directory: s.sealDirectory, name: "hospital-2")
        #expect(try keyBytes(again) == keyBytes(seal) && Array(s.bytes(keyPath)) == keyBytes(seal))
        #expect(again.headPath == s.sealDirectory + "/hospital-2.ledger-head")
        // Nothing but the key is left in the directory (no temporary file).
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.sealDirectory) == ["ledger.key"])
    }

    @Test("a key file readable by group or others (mode 0644) is refused, naming the file")
    func keyReadableByOthers() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        _ = try s.seal()
        let keyPath = s.sealDirectory + "/ledger.key"
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyPath)
        do {
            _ = try s.seal()
            Issue.record("a key readable by others was accepted")
        } catch {
            guard case .sealRejected(keyPath, _) = error else { Issue.record("\(error)"); return }
            #expect(error.description.contains(keyPath) && error.description.contains("chmod 600"))
        }
    }

    @Test("a key file of the wrong size (31 or 33 bytes, or empty) is refused, naming the file", arguments: [31, 33, 0])
    func keyWrongSize(size: Int) throws {
        let s = try LedgerScratch(); defer { s.remove() }
        try FileManager.default.createDirectory(atPath: s.sealDirectory, withIntermediateDirectories: true)
        let keyPath = s.sealDirectory + "/ledger.key"
        try Data(repeating: 7, count: size).write(to: URL(fileURLWithPath: keyPath))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
        do {
            _ = try s.seal()
            Issue.record("a \(size)-byte key was accepted")
        } catch {
            guard case .sealRejected(keyPath, _) = error else { Issue.record("\(error)"); return }
            #expect(error.description.contains(keyPath) && error.description.contains("\(size) bytes"))
        }
        #expect(try s.bytes(keyPath).count == size)  // never overwritten
    }

    @Test("an in-memory key must be 32 bytes; a name with '/' is refused")
    func memberwise() throws {
        #expect(throws: LedgerError.self) { try LedgerSeal(key: [UInt8](repeating: 1, count: 16), headPath: "/tmp/x") }
        let seal = try LedgerSeal(key: [UInt8](repeating: 1, count: 32), headPath: "/tmp/x")
        #expect(seal.headPath == "/tmp/x" && keyBytes(seal) == [UInt8](repeating: 1, count: 32))
        let s = try LedgerScratch(); defer { s.remove() }
        #expect(throws: LedgerError.self) { try LedgerSeal.loadOrCreate(directory: s.sealDirectory, name: "../x") }
    }

    @Test("a ledger verifies only under its own key: another key breaks the chain at its first record and the head's MAC")
    func otherKey() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        _ = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal())
        let headPath = try s.seal().headPath
        let other = try LedgerSeal(key: (0..<32).map { _ in UInt8.random(in: 0...255) }, headPath: headPath)
        let line2 = try s.lines(path)[1]
        #expect(throws: LedgerError.chainBroken(path: path, line: 2, text: line2)) { try PrivacyLedger.read(path: path, seal: other) }
        #expect(throws: LedgerError.headDamaged(path: headPath, ledger: path)) {
            try PrivacyLedger(path: path, budget: nil, seal: other)
        }
    }

    @Test("the head record holds the count and the last MAC, in a fixed-size file overwritten in place (same inode)")
    func head() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        let ledger = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal())
        let headPath = try s.seal().headPath
        let inode = try FileManager.default.attributesOfItem(atPath: headPath)[.systemFileNumber] as? Int
        try ledger.record(PrivacySegment(sampleRate: 0.01, noiseMultiplier: 1, steps: 10), round: 1)
        let last = LedgerFormat.splitMAC(try s.lines(path).last!)!.mac
        #expect(try s.seal().readHead(ledger: path) == LedgerSeal.Head(count: 2, mac: last))
        #expect(try FileManager.default.attributesOfItem(atPath: headPath)[.systemFileNumber] as? Int == inode)
        #expect(try s.bytes(headPath).count == LedgerSeal.headSize)
        #expect(try mode(s.seal().headPath) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.sealDirectory).sorted() == ["hospital-1.ledger-head", "ledger.key"])
    }

    @Test("an earlier version's unpadded head is read, and replaced whole by the next write")
    func unpaddedHead() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        let ledger = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal())
        try ledger.record(PrivacySegment(sampleRate: 0.01, noiseMultiplier: 1, steps: 10), round: 1)
        let headPath = try s.seal().headPath
        let padded = try s.text(headPath)
        let unpadded = padded.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
        try s.write(unpadded, to: headPath)
        #expect(try s.seal().readHead(ledger: path)?.count == 2)
        let reopened = try PrivacyLedger(path: path, budget: nil, seal: s.seal())
        #expect(reopened.notes.isEmpty)
        try reopened.record(PrivacySegment(sampleRate: 0.01, noiseMultiplier: 1, steps: 10), round: 2)
        #expect(try s.bytes(headPath).count == LedgerSeal.headSize && s.seal().readHead(ledger: path)?.count == 3)
        try s.write(String(padded.dropLast()), to: headPath)  // no final newline: damaged
        #expect(throws: LedgerError.headDamaged(path: headPath, ledger: path)) { try PrivacyLedger(path: path, budget: nil, seal: s.seal()) }
    }

    @Test("a head with a second hard link (a backup) is replaced, not written through: the backup keeps its bytes")
    func hardLinkedHead() throws {
        let s = try LedgerScratch(); defer { s.remove() }
        let path = s.ledgerPath()
        let ledger = try PrivacyLedger(path: path, budget: (3, 1e-5), seal: s.seal())
        let headPath = try s.seal().headPath
        let backup = s.root + "/head-backup"
        try FileManager.default.linkItem(atPath: headPath, toPath: backup)
        let before = try s.bytes(backup)
        try ledger.record(PrivacySegment(sampleRate: 0.01, noiseMultiplier: 1, steps: 10), round: 1)
        #expect(try s.bytes(backup) == before)
        #expect(try s.bytes(headPath) != before && s.seal().readHead(ledger: path)?.count == 2)
    }
}
