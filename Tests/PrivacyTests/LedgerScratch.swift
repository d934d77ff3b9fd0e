import Foundation
@testable import Privacy

/// A temporary folder for ledger tests, under the system's temporary directory with a unique name:
/// `ledgers/` holds the ledger files and `seal/` (another directory, as a seal requires) the key and
/// the heads. Call ``remove()`` when done (`defer`).
struct LedgerScratch {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-ledger-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/ledgers", withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    var sealDirectory: String { root + "/seal" }

    func ledgerPath(_ name: String = "hospital-1") -> String { root + "/ledgers/\(name).ledger" }

    /// The seal of ledger `name`, from `seal/` (its key created on first use).
    func seal(_ name: String = "hospital-1") throws(LedgerError) -> LedgerSeal {
        try LedgerSeal.loadOrCreate(directory: sealDirectory, name: name)
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func write(_ text: String, to path: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }

    /// Appends raw text (no newline added), as a crash mid-append would leave it.
    func append(_ text: String, to path: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try handle.close()
    }

    /// The lines of a file, without their newlines (a last line without one included).
    func lines(_ path: String) throws -> [String] {
        var lines = try text(path).components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// A v2 ledger's text with `records` chained under `seal`'s key: what a forger holding that key
    /// would write.
    static func forge(_ records: [String], seal: LedgerSeal) -> String {
        var text = "fedtop-ledger 2\n"
        var previous = ""
        for (index, record) in records.enumerated() {
            previous = seal.mac(index: index, previous: previous, record: record)
            text += "\(record) #\(previous)\n"
        }
        return text
    }

    /// A v1 (unkeyed, FNV-checksummed) ledger's text.
    static func legacy(_ records: [String]) -> String {
        records.map { "\($0) #\(PrivacyLedger.checksum($0))\n" }.joined()
    }
}
