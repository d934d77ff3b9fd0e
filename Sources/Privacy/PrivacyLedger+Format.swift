#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// One record of a ledger.
enum LedgerRecord {
    case gaussian(PrivacySegment, round: Int)
    case skellam(SkellamSegment, round: Int)
    case pure(PureDPSegment, sequence: Int)
    case budget(epsilon: Double, delta: Double)
}

/// A ledger file's records, parsed (and, for a v2 file read with a seal, verified) but not yet
/// compared with its head.
struct LedgerReplay {
    var accountant = RDPAccountant()
    var budget: (epsilon: Double, delta: Double)?
    var lastNoiseMultiplier: Double?
    /// The complete records' texts (without ` #…`), in order.
    var records: [String] = []
    /// The complete records' MACs (v2 only; empty for v1), in order.
    var macs: [String] = []
    /// Bytes of the complete lines (header included): where a torn tail starts.
    var completeLength = 0
    /// Whether the file ends with a torn line (no trailing newline).
    var torn = false
    /// The largest sequence number of the `answer` records (0 when none).
    var lastAnswerSequence = 0

    mutating func apply(_ record: LedgerRecord, text: String) {
        switch record {
        case let .gaussian(segment, _):
            accountant.compose(segment)
            lastNoiseMultiplier = segment.noiseMultiplier
        case let .skellam(segment, _):
            accountant.compose(segment)
        case let .pure(segment, sequence):
            accountant.compose(segment)
            lastAnswerSequence = max(lastAnswerSequence, sequence)
        case let .budget(epsilon, delta):
            budget = (epsilon, delta)
        }
        records.append(text)
    }
}

/// The ledger's text formats.
///
/// v2 (sealed): the line `fedtop-ledger 2`, then one record a line, each `<record> #<MAC>` with the
/// chained HMAC of ``LedgerSeal/mac(index:previous:record:)`` (64 lowercase hex digits). v1 (legacy,
/// unkeyed): no header, each line `<record> #<FNV-1a 64 hex>`. Records are `spend <q> <σ> <steps>
/// <round>`, `skellam <q> <μ> <Δ₁> <Δ₂> <steps> <round>`, `answer <ε> <count> <sequence>` and
/// `budget <ε> <δ> <reason>`.
///
/// Only a last line without a trailing newline is torn (an append is one `write` ending with the
/// newline); a complete line that fails its MAC or checksum is damage, wherever it is.
enum LedgerFormat {
    static let header = "fedtop-ledger 2"

    enum Version { case empty, v1, v2 }

    /// Empty: no bytes, or only the v2 header. v2: starts with the header line. v1: anything else.
    static func version(of bytes: [UInt8]) -> Version {
        let head = Array(header.utf8)
        if bytes.isEmpty || bytes == head || bytes == head + [0x0A] { return .empty }
        return bytes.starts(with: head + [0x0A]) ? .v2 : .v1
    }

    /// The file's complete lines (without their newlines), whether a torn line follows them, and the
    /// complete lines' length in bytes.
    static func lines(_ bytes: [UInt8]) -> (complete: [String], torn: Bool, completeLength: Int) {
        var lines: [String] = []
        var start = 0
        for (i, byte) in bytes.enumerated() where byte == 0x0A {
            lines.append(String(decoding: bytes[start..<i], as: UTF8.self))
            start = i + 1
        }
        return (lines, start < bytes.count, start)
    }

    /// Parses a v1 file, checksums verified. A torn last line (no newline) is left out (`torn`).
    ///
    /// Stricter than the v1 reader was, on purpose: a *complete* last line that fails its checksum is
    /// damage (the v1 writer's append ended with the newline, so no crash leaves one), and a `spend`
    /// record's round must be an integer (the v1 writer always wrote one).
    static func parseV1(_ bytes: [UInt8], path: String) throws(LedgerError) -> LedgerReplay {
        let (lines, torn, length) = self.lines(bytes)
        var replay = LedgerReplay(completeLength: length, torn: torn)
        for (index, line) in lines.enumerated() {
            guard let hash = line.lastIndex(of: "#"), hash > line.startIndex, line[line.index(before: hash)] == " " else {
                throw .damaged(path: path, line: index + 1, text: line)
            }
            let text = String(line[..<line.index(before: hash)])
            guard PrivacyLedger.checksum(text) == String(line[line.index(after: hash)...]),
                  let record = parseRecord(text) else {
                throw .damaged(path: path, line: index + 1, text: line)
            }
            replay.apply(record, text: text)
        }
        return replay
    }

    /// Parses a v2 file. With a seal, each record's MAC is checked against its text, its index and the
    /// previous MAC (``LedgerError/chainBroken(path:line:text:)`` naming the first that fails); without,
    /// only the format is. A torn last line is left out (`torn`).
    static func parseV2(_ bytes: [UInt8], path: String, seal: LedgerSeal?) throws(LedgerError) -> LedgerReplay {
        let (lines, torn, length) = self.lines(bytes)
        var replay = LedgerReplay(completeLength: length, torn: torn)
        var previous = ""
        for (index, line) in lines.dropFirst().enumerated() {
            let lineNumber = index + 2
            guard let (text, mac) = splitMAC(line) else { throw .damaged(path: path, line: lineNumber, text: line) }
            if let seal, seal.mac(index: index, previous: previous, record: text) != mac {
                throw .chainBroken(path: path, line: lineNumber, text: line)
            }
            guard let record = parseRecord(text) else { throw .damaged(path: path, line: lineNumber, text: line) }
            replay.apply(record, text: text)
            replay.macs.append(mac)
            previous = mac
        }
        return replay
    }

    /// `<text> #<MAC>` split, when the line has that form.
    static func splitMAC(_ line: String) -> (text: String, mac: String)? {
        let utf8 = Array(line.utf8)
        guard utf8.count >= 66, utf8[utf8.count - 66] == 0x20, utf8[utf8.count - 65] == 0x23 else { return nil }
        let mac = String(decoding: utf8[(utf8.count - 64)...], as: UTF8.self)
        guard isMAC(mac) else { return nil }
        return (String(decoding: utf8[..<(utf8.count - 66)], as: UTF8.self), mac)
    }

    /// 64 lowercase hex digits.
    static func isMAC<S: StringProtocol>(_ text: S) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// A record's text parsed strictly, or nil (unknown kind, wrong field count, bad number).
    static func parseRecord(_ record: String) -> LedgerRecord? {
        let fields = record.split(separator: " ", maxSplits: 4).map(String.init)
        switch fields.first {
        case "spend" where fields.count == 5:
            guard let q = Double(fields[1]), let s = Double(fields[2]), let t = Int(fields[3]), let round = Int(fields[4]),
                  let segment = try? PrivacySegment(sampleRate: q, noiseMultiplier: s, steps: t) else { return nil }
            return .gaussian(segment, round: round)
        case "skellam":
            let all = record.split(separator: " ").map(String.init)
            guard all.count == 7, let q = Double(all[1]), let mu = Double(all[2]), let l1 = Double(all[3]),
                  let l2 = Double(all[4]), let t = Int(all[5]), let round = Int(all[6]),
                  let segment = try? SkellamSegment(sampleRate: q, variance: mu, l1Sensitivity: l1,
                                                    l2Sensitivity: l2, steps: t) else { return nil }
            return .skellam(segment, round: round)
        case "answer" where fields.count == 4:
            guard let e = Double(fields[1]), let n = Int(fields[2]), let sequence = Int(fields[3]),
                  let segment = try? PureDPSegment(epsilon: e, count: n) else { return nil }
            return .pure(segment, sequence: sequence)
        case "budget" where fields.count >= 3:
            guard let e = Double(fields[1]), let d = Double(fields[2]) else { return nil }
            return .budget(epsilon: e, delta: d)
        default:
            return nil
        }
    }

    /// A budget record's text, its reason cleaned of newlines and `#`.
    static func budgetRecord(epsilon: Double, delta: Double, reason: String) -> String {
        let clean = String(reason.map { $0 == "\n" || $0 == "\r" || $0 == "#" ? " " : $0 })
        return "budget \(epsilon) \(delta) \(clean.isEmpty ? "unstated" : clean)"
    }

    /// The file's bytes, or nil when it does not exist.
    static func readIfPresent(_ path: String) throws(LedgerError) -> [UInt8]? {
        if access(path, F_OK) != 0, errno == ENOENT { return nil }
        do { return try POSIXFile.readAll(path) } catch { throw .io(error) }
    }
}
