#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// A write-ahead, durable record of one party's privacy spend (a hospital's, or the federation's for
/// client-level DP), with its budget enforced.
///
/// Contract:
/// - The file is append-only text, one record a line: `spend <q> <σ> <steps> <round>` (Gaussian),
///   `skellam <q> <μ> <Δ₁> <Δ₂> <steps> <round>` (distributed DP with Skellam noise, see
///   ``SkellamSegment``) or `budget <ε> <δ> <reason>`, each followed by ` #` and a checksum of the
///   line, so damage is found. A reader that does not know a record kind refuses the file (it
///   never under-counts a spend it cannot read).
/// - ``record(_:round:)`` checks the budget, appends the spend and fsyncs the file *before* it
///   returns; the caller sends the update it pays for only after that. A crash can therefore leave a
///   spend whose update never left (ε over-reported), never an update whose spend is lost.
/// - On open, every complete record is replayed into an ``RDPAccountant``. A torn last line (a crash
///   during the append, before fsync returned, so its update was never sent) is dropped and
///   reported in ``recoveredTornRecord``; a damaged line anywhere else is an error naming the line.
/// - Spending past the budget is refused (nothing written); raising the budget is an explicit record.
public final class PrivacyLedger {
    public let path: String
    public private(set) var accountant = RDPAccountant()
    public private(set) var budget: (epsilon: Double, delta: Double)
    /// Whether opening dropped a torn final record.
    public private(set) var recoveredTornRecord = false
    private let descriptor: Int32

    /// Opens (or creates, with `budget`) the ledger at `path`. An existing ledger keeps its own
    /// recorded budget; `budget` is used only for a new file.
    public init(path: String, budget: (epsilon: Double, delta: Double)) throws(LedgerError) {
        guard budget.epsilon > 0, budget.delta > 0, budget.delta < 1 else {
            throw .invalidBudget(epsilon: budget.epsilon, delta: budget.delta)
        }
        self.path = path
        self.budget = budget
        let existed = access(path, F_OK) == 0
        var text = ""
        if existed {
            do { text = String(decoding: try POSIXFile.readAll(path), as: UTF8.self) } catch { throw .io(error) }
        }
        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io(POSIXFileError(path: path, operation: "open for appending")) }
        if existed {
            try replay(text)
        } else {
            try append("budget \(budget.epsilon) \(budget.delta) initial")
            do { try POSIXFile.syncDirectory(containing: path) } catch { throw .io(error) }
        }
    }

    deinit { close(descriptor) }

    /// ε spent so far at the budget's δ.
    public var spentEpsilon: Double { accountant.epsilon(delta: budget.delta).epsilon }

    /// ε after also spending `segment`.
    public func epsilon(after segment: PrivacySegment) -> Double {
        var a = accountant
        a.compose(segment)
        return a.epsilon(delta: budget.delta).epsilon
    }

    /// Writes the spend durably, or throws ``LedgerError/budgetExceeded(path:spent:next:budget:)``
    /// (writing nothing) when it would take ε past the budget.
    public func record(_ segment: PrivacySegment, round: Int) throws(LedgerError) {
        let next = epsilon(after: segment)
        guard next <= budget.epsilon else {
            throw .budgetExceeded(path: path, spent: spentEpsilon, next: next, budget: budget.epsilon)
        }
        try append("spend \(segment.sampleRate) \(segment.noiseMultiplier) \(segment.steps) \(round)")
        accountant.compose(segment)
    }

    /// ε after also spending the Skellam rounds of `segment`.
    public func epsilon(after segment: SkellamSegment) -> Double {
        var a = accountant
        a.compose(segment)
        return a.epsilon(delta: budget.delta).epsilon
    }

    /// Writes the Skellam spend durably (a `skellam` record), or throws
    /// ``LedgerError/budgetExceeded(path:spent:next:budget:)`` (writing nothing) when it would take ε
    /// past the budget. As for Gaussian spends, the caller sends the noised share it pays for only
    /// after this returns.
    public func record(_ segment: SkellamSegment, round: Int) throws(LedgerError) {
        let next = epsilon(after: segment)
        guard next <= budget.epsilon else {
            throw .budgetExceeded(path: path, spent: spentEpsilon, next: next, budget: budget.epsilon)
        }
        try append("skellam \(segment.sampleRate) \(segment.variance) \(segment.l1Sensitivity) "
                   + "\(segment.l2Sensitivity) \(segment.steps) \(round)")
        accountant.compose(segment)
    }

    /// Raises (or lowers) the budget: an explicit, recorded decision with its reason.
    public func setBudget(epsilon: Double, reason: String) throws(LedgerError) {
        guard epsilon > 0 else { throw .invalidBudget(epsilon: epsilon, delta: budget.delta) }
        let clean = String(reason.map { $0 == "\n" || $0 == "#" ? " " : $0 })
        try append("budget \(epsilon) \(budget.delta) \(clean.isEmpty ? "unstated" : clean)")
        budget.epsilon = epsilon
    }

    // MARK: - File format

    /// FNV-1a 64 of the line's text, in hex.
    static func checksum(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }

    private func append(_ record: String) throws(LedgerError) {
        let line = Array("\(record) #\(PrivacyLedger.checksum(record))\n".utf8)
        do { try POSIXFile.writeAll(line, to: descriptor, path: path) } catch { throw .io(error) }
        guard fsync(descriptor) == 0 else { throw .io(POSIXFileError(path: path, operation: "flush (fsync)")) }
    }

    private func replay(_ text: String) throws(LedgerError) {
        let contents = try Self.parse(text, path: path)
        accountant = contents.accountant
        if let recorded = contents.budget { budget = recorded }
        if let keep = contents.tornRecordOffset {
            recoveredTornRecord = true
            // Cut the torn tail so the next append starts on a fresh line.
            guard ftruncate(descriptor, off_t(keep)) == 0, fsync(descriptor) == 0 else {
                throw .io(POSIXFileError(path: path, operation: "truncate torn record"))
            }
        }
    }

    /// What a ledger file holds, read without opening it for writing (another process or the engine
    /// may own it): the spends composed (Gaussian and Skellam), the recorded budget and the last
    /// Gaussian noise multiplier spent. A torn final record (a write in progress or cut by a crash)
    /// is left out; any other damage throws.
    public static func read(path: String) throws(LedgerError) -> (accountant: RDPAccountant, budget: (epsilon: Double, delta: Double)?, lastNoiseMultiplier: Double?) {
        let text: String
        do { text = String(decoding: try POSIXFile.readAll(path), as: UTF8.self) } catch { throw .io(error) }
        let contents = try parse(text, path: path)
        return (contents.accountant, contents.budget, contents.lastNoiseMultiplier)
    }

    /// The records of a ledger's text, checksums verified. `tornRecordOffset` is where a torn final
    /// record starts (bytes to keep), when there is one.
    private static func parse(_ text: String, path: String) throws(LedgerError)
        -> (accountant: RDPAccountant, budget: (epsilon: Double, delta: Double)?, lastNoiseMultiplier: Double?, tornRecordOffset: Int?) {
        var accountant = RDPAccountant()
        var budget: (epsilon: Double, delta: Double)?
        var lastNoise: Double?
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let endsWithNewline = lines.last == ""
        if endsWithNewline { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            let isLast = index == lines.count - 1
            let hash = line.lastIndex(of: "#")
            let record = hash.map { line[..<$0].dropLast() } ?? ""  // the text before " #"
            guard let hash, hash > line.startIndex, line[line.index(before: hash)] == " ",
                  PrivacyLedger.checksum(String(record)) == String(line[line.index(after: hash)...]),
                  isLast ? endsWithNewline : true else {
                if isLast {  // torn by a crash: its update never left
                    return (accountant, budget, lastNoise, lines.dropLast().reduce(0) { $0 + $1.utf8.count + 1 })
                }
                throw .damaged(path: path, line: index + 1, text: line)
            }
            let fields = record.split(separator: " ", maxSplits: 4).map(String.init)
            switch fields.first {
            case "spend" where fields.count == 5:
                guard let q = Double(fields[1]), let s = Double(fields[2]), let t = Int(fields[3]),
                      let segment = try? PrivacySegment(sampleRate: q, noiseMultiplier: s, steps: t) else {
                    throw .damaged(path: path, line: index + 1, text: line)
                }
                accountant.compose(segment)
                lastNoise = s
            case "skellam":
                let all = record.split(separator: " ").map(String.init)
                guard all.count == 7, let q = Double(all[1]), let mu = Double(all[2]), let l1 = Double(all[3]),
                      let l2 = Double(all[4]), let t = Int(all[5]), Int(all[6]) != nil,
                      let segment = try? SkellamSegment(sampleRate: q, variance: mu, l1Sensitivity: l1,
                                                        l2Sensitivity: l2, steps: t) else {
                    throw .damaged(path: path, line: index + 1, text: line)
                }
                accountant.compose(segment)
            case "budget" where fields.count >= 3:
                guard let e = Double(fields[1]), let d = Double(fields[2]) else {
                    throw .damaged(path: path, line: index + 1, text: line)
                }
                budget = (e, d)
            default:
                throw .damaged(path: path, line: index + 1, text: line)
            }
        }
        return (accountant, budget, lastNoise, nil)
    }
}

/// Errors of a ``PrivacyLedger``; each names the file.
public enum LedgerError: Error, Equatable, CustomStringConvertible {
    /// The next spend would take ε past the budget; nothing was written.
    case budgetExceeded(path: String, spent: Double, next: Double, budget: Double)
    /// A budget that is not ε > 0 with 0 < δ < 1.
    case invalidBudget(epsilon: Double, delta: Double)
    /// A line (not the last) that fails its checksum or does not parse: damage or tampering.
    case damaged(path: String, line: Int, text: String)
    /// A system call failed.
    case io(POSIXFileError)

    public var description: String {
        switch self {
        case let .budgetExceeded(path, spent, next, budget):
            return "\(path): privacy budget would be exceeded: ε \(fmt(spent)) spent, \(fmt(next)) after this round, budget \(fmt(budget))"
        case let .invalidBudget(epsilon, delta):
            return "invalid privacy budget ε \(epsilon), δ \(delta) (expected ε > 0 and 0 < δ < 1)"
        case let .damaged(path, line, text):
            return "\(path) line \(line): damaged ledger record '\(text.prefix(80))' (checksum or format)"
        case let .io(error):
            return error.description
        }
    }

    private func fmt(_ x: Double) -> String {
        let scaled = (x * 1000).rounded() / 1000
        return "\(scaled)"
    }
}
