#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// A write-ahead, durable, tamper-evident record of one party's privacy spend (a hospital's, or the
/// federation's for client-level DP), with its budget enforced.
///
/// Contract:
/// - The file (format v2; the parser is in PrivacyLedger+Format.swift) is the line `fedtop-ledger 2`, then append-only
///   records, one a line: `spend <q> <σ> <steps> <round>` (Gaussian), `skellam <q> <μ> <Δ₁> <Δ₂>
///   <steps> <round>` (distributed DP with Skellam noise, see ``SkellamSegment``), `answer <ε>
///   <count> <sequence>` (pure-DP answers of a served model, see ``PureDPSegment``) or `budget <ε>
///   <δ> <reason>`, each followed by ` #` and an HMAC-SHA256 under the ``LedgerSeal``'s key chained to the
///   record's index and the previous record's MAC. The seal's *head record* (outside the ledger's
///   folder) holds the number of committed records and the last one's MAC. So a deleted, inserted,
///   reordered or edited record, a cut or rolled-back file, or an emptied or deleted one, is an error
///   naming the file and the record (see ``LedgerError``). A reader that does not know a record kind
///   refuses the file (it never under-counts a spend it cannot read).
/// - ``record(_:round:)`` checks the budget, appends the spend, fsyncs the file and then updates the
///   head *before* it returns; the caller sends the update it pays for only after that. A crash can
///   leave a spend whose update never left (ε over-reported), never an update whose spend is lost.
///   If the head update fails, the spend stays recorded and counted and `record` throws (the caller
///   must not send); the next append first retries the head, so the ledger is never more than one
///   record ahead of its head.
/// - On open, every record is verified and replayed into an ``RDPAccountant`` and compared with the
///   head: a ledger one record ahead (a crash between the append and the head update) is accepted,
///   that spend counted and the head brought up to date; fewer records than the head is an error. A
///   last line without its newline is a torn append: cut (``recoveredTornRecord``) when it is not yet
///   committed by the head, an error when it is. Anything unusual that was accepted is in ``notes``.
/// - Budgets are explicit, recorded decisions: see ``init(path:budget:seal:raiseReason:allowNew:)``
///   and ``setBudget(epsilon:reason:)``. Spending past the budget is refused (nothing written).
/// - One writer at a time: the ledger takes no lock; the engine owns each ledger.
public final class PrivacyLedger {
    public let path: String
    public let seal: LedgerSeal
    public private(set) var accountant = RDPAccountant()
    public private(set) var budget: (epsilon: Double, delta: Double)
    /// The budget the file recorded before this open (nil for a new ledger): with ``budget``, what
    /// the open changed.
    public let recordedBudget: (epsilon: Double, delta: Double)?
    /// Whether opening cut a torn, uncommitted final record (or dropped one from a v1 ledger).
    public private(set) var recoveredTornRecord = false
    /// What opening accepted that the operator should hear about (an upgrade from v1, a first sealed
    /// open, a record ahead of the head, a torn tail, a new ledger where one was lost, a budget
    /// change), one sentence each, naming the file.
    public private(set) var notes: [String] = []
    /// The largest sequence number of the ledger's `answer` records (0 when none); each new answer
    /// record must carry a larger one (``record(_:sequence:)``).
    public private(set) var lastAnswerSequence = 0
    private let descriptor: Int32
    /// Complete records in the file, and the last one's MAC (`""` when none).
    private var recordCount = 0
    private var lastMAC = ""
    /// Bytes in the file, to undo a partial append.
    private var size = 0
    /// Whether the head is one record behind the file (its update failed).
    private var headStale = false
    /// Whether a failed append could not be undone (the file's end is then unknown).
    private var unusable = false
    /// The budget change decided at open and not yet written (`holdBudgetChange`).
    private var heldBudgetRecord: String?

    /// Whether a budget change decided at open still waits for ``commitBudget()``.
    public var holdsBudgetChange: Bool { heldBudgetRecord != nil }

    /// Writes the budget change held since open (see `holdBudgetChange` at `init`); nothing when there
    /// is none.
    public func commitBudget() throws(LedgerError) {
        guard let record = heldBudgetRecord else { return }
        try appendLine(record)
        heldBudgetRecord = nil
        try updateHead()
    }

    /// Opens, creates or upgrades the ledger at `path`, verified with `seal`.
    ///
    /// Budget rules (each change is a `budget` record, written only after everything was verified):
    /// - `budget: nil` keeps the recorded budget (a resumed run that deliberately keeps it); a ledger
    ///   that records none (a new one) throws ``LedgerError/budgetRequired(path:)``.
    /// - A new ledger records `budget ε δ initial`.
    /// - The same ε as recorded: nothing is written. A lower ε: recorded with the reason
    ///   "lowered at open" (always allowed). A higher ε: throws
    ///   ``LedgerError/budgetRaiseRefused(path:recorded:requested:)`` unless `raiseReason` is given,
    ///   which is recorded as the budget record's reason.
    /// - A δ other than the recorded one throws ``LedgerError/deltaChangeRefused(path:recorded:requested:)``.
    ///
    /// `holdBudgetChange` keeps a *change* to a recorded budget (lowered, or raised with its reason) in
    /// memory, enforced from now on, and writes it at ``commitBudget()`` or before the first spend or
    /// budget change, whichever comes first: a start that fails after opening (a refused resume, a
    /// port in use) then leaves the file as it was. A new ledger's initial budget is written at once.
    ///
    /// `allowNew` (the operator's `--new-ledger`) lets a ledger that is missing or empty while its head
    /// says records were committed start again at ε 0 (noted); otherwise that throws
    /// ``LedgerError/missing(path:records:)``. It changes nothing else.
    ///
    /// Throws (writing nothing) every ``LedgerError`` of verification (`damaged`, `chainBroken`,
    /// `truncated`, `missing`, `headDamaged`, `headMismatch`, `headBehind`, `legacyFormat`,
    /// `sealBesideLedger`) and of the budget rules above, and `io` when a system call fails.
    public init(path: String, budget requested: (epsilon: Double, delta: Double)?, seal: LedgerSeal,
                raiseReason: String? = nil, allowNew: Bool = false, holdBudgetChange: Bool = false) throws(LedgerError) {
        if let requested, !(requested.epsilon > 0 && requested.delta > 0 && requested.delta < 1) {
            throw .invalidBudget(path: path, epsilon: requested.epsilon, delta: requested.delta)
        }
        try seal.checkApart(from: path)
        let head = try seal.readHead(ledger: path)
        let bytes = try LedgerFormat.readIfPresent(path) ?? []
        var notes: [String] = []
        var replay = LedgerReplay()
        var rewrite = false       // write the file anew (new, or upgraded from v1)
        var cut: Int?             // bytes to keep (a torn tail is cut)
        var writeHead = false

        switch LedgerFormat.version(of: bytes) {
        case .empty:
            if let head, head.count > 0 {
                guard allowNew else { throw .missing(path: path, records: head.count) }
                notes.append("\(path): started a new ledger at ε 0 (--new-ledger) although its head \(seal.headPath) "
                             + "recorded \(head.count) records; the spends they held are no longer counted here")
            }
            rewrite = true
        case .v1:
            if head != nil { throw .legacyFormat(path: path, head: seal.headPath) }
            replay = try LedgerFormat.parseV1(bytes, path: path)
            rewrite = true
            notes.append("\(path): upgraded from an unkeyed v1 ledger (\(replay.records.count) records now sealed; "
                         + "edits made before this upgrade could not be detected)")
            if replay.torn {
                recoveredTornRecord = true
                notes.append("\(path): dropped a torn final v1 record (a crash mid-append; its update was never sent)")
            }
        case .v2:
            replay = try LedgerFormat.parseV2(bytes, path: path, seal: seal)
            let found = replay.macs.count
            if let head {
                // A torn line is record `found`; committed (and so its loss an error) when found < head.count.
                if found < head.count { throw .truncated(path: path, expected: head.count, found: found) }
                if found > head.count + 1 {
                    throw .headBehind(path: path, head: seal.headPath, recorded: head.count, found: found)
                }
                guard (head.count == 0 ? "" : replay.macs[head.count - 1]) == head.mac else {
                    throw .headMismatch(path: path, head: seal.headPath, records: head.count)
                }
                if found == head.count + 1 {
                    writeHead = true
                    notes.append("\(path): record \(found) (line \(found + 1)) was written but its head was not updated "
                                 + "(a crash between the two); its spend is counted and the head brought up to date")
                }
            } else {
                writeHead = true
                notes.append("\(path): no head record at \(seal.headPath) (a crash right after the ledger was created or "
                             + "upgraded, or the head was moved aside): its \(found) records are trusted as found and a head was written")
            }
            if replay.torn {
                cut = replay.completeLength
                recoveredTornRecord = true
                notes.append("\(path): cut a torn, uncommitted final record at line \(found + 2) (a crash mid-append; "
                             + "its update was never sent)")
            }
        }

        let (budget, budgetRecord) = try Self.budgetDecision(path: path, recorded: replay.budget, requested: requested,
                                                             raiseReason: raiseReason)
        if let budgetRecord, let recorded = replay.budget {
            notes.append("\(path): budget changed at open from ε \(recorded.epsilon) to \(budget.epsilon) ('\(budgetRecord)')")
        }

        // Everything is verified and decided; now write.
        var chain: [String] = []
        if rewrite {
            var text = LedgerFormat.header + "\n"
            for (index, record) in replay.records.enumerated() {
                chain.append(seal.mac(index: index, previous: chain.last ?? "", record: record))
                text += "\(record) #\(chain[index])\n"
            }
            do { try POSIXFile.replaceAtomically(path, with: Array(text.utf8), mode: 0o600) } catch { throw .io(error) }
            writeHead = true
        } else {
            chain = replay.macs
        }
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(POSIXFileError(path: path, operation: "open for appending")) }
        if let cut, ftruncate(descriptor, off_t(cut)) != 0 || fsync(descriptor) != 0 {
            let error = POSIXFileError(path: path, operation: "cut a torn record")
            close(descriptor)
            throw .io(error)
        }
        self.path = path
        self.seal = seal
        self.descriptor = descriptor
        self.budget = budget
        recordedBudget = replay.budget
        self.notes = notes
        accountant = replay.accountant
        lastAnswerSequence = replay.lastAnswerSequence
        recordCount = chain.count
        lastMAC = chain.last ?? ""
        size = Int(lseek(descriptor, 0, SEEK_END))
        headStale = writeHead
        if let budgetRecord, holdBudgetChange, replay.budget != nil {
            heldBudgetRecord = budgetRecord
            if writeHead { try updateHead() }
        } else if let budgetRecord {
            try appendLine(budgetRecord)
            try updateHead()
        } else if writeHead {
            try updateHead()
        }
    }

    deinit { close(descriptor) }

    /// The budget after open and the record that states it, when it changes (see the rules at `init`).
    private static func budgetDecision(path: String, recorded: (epsilon: Double, delta: Double)?,
                                       requested: (epsilon: Double, delta: Double)?, raiseReason: String?)
        throws(LedgerError) -> (budget: (epsilon: Double, delta: Double), record: String?) {
        guard let recorded else {
            guard let requested else { throw .budgetRequired(path: path) }
            return (requested, LedgerFormat.budgetRecord(epsilon: requested.epsilon, delta: requested.delta, reason: "initial"))
        }
        guard let requested else { return (recorded, nil) }
        guard requested.delta == recorded.delta else {
            throw .deltaChangeRefused(path: path, recorded: recorded.delta, requested: requested.delta)
        }
        if requested.epsilon == recorded.epsilon { return (recorded, nil) }
        if requested.epsilon < recorded.epsilon {
            return (requested, LedgerFormat.budgetRecord(epsilon: requested.epsilon, delta: requested.delta, reason: "lowered at open"))
        }
        guard let raiseReason else {
            throw .budgetRaiseRefused(path: path, recorded: recorded.epsilon, requested: requested.epsilon)
        }
        return (requested, LedgerFormat.budgetRecord(epsilon: requested.epsilon, delta: requested.delta, reason: raiseReason))
    }

    /// ε spent so far at the budget's δ.
    public var spentEpsilon: Double { accountant.epsilon(delta: budget.delta).epsilon }

    /// ε after also spending `segment`.
    public func epsilon(after segment: PrivacySegment) -> Double { epsilon { $0.compose(segment) } }

    /// Writes the spend durably (the record, then the head), or throws
    /// ``LedgerError/budgetExceeded(path:spent:next:budget:)`` (writing nothing) when it would take ε
    /// past the budget. After any throw the caller must not send the update.
    public func record(_ segment: PrivacySegment, round: Int) throws(LedgerError) {
        try spend("spend \(segment.sampleRate) \(segment.noiseMultiplier) \(segment.steps) \(round)") { $0.compose(segment) }
    }

    /// ε after also spending the Skellam rounds of `segment`.
    public func epsilon(after segment: SkellamSegment) -> Double { epsilon { $0.compose(segment) } }

    /// Writes the Skellam spend durably (a `skellam` record, then the head), or throws
    /// ``LedgerError/budgetExceeded(path:spent:next:budget:)`` (writing nothing) when it would take ε
    /// past the budget. As for Gaussian spends, the caller sends the noised share it pays for only
    /// after this returns.
    public func record(_ segment: SkellamSegment, round: Int) throws(LedgerError) {
        try spend("skellam \(segment.sampleRate) \(segment.variance) \(segment.l1Sensitivity) "
                  + "\(segment.l2Sensitivity) \(segment.steps) \(round)") { $0.compose(segment) }
    }

    /// ε after also spending the pure-DP answers of `segment`.
    public func epsilon(after segment: PureDPSegment) -> Double { epsilon { $0.compose(segment) } }

    /// Writes the answers' spend durably (an `answer <ε> <count> <sequence>` record, then the head),
    /// or throws ``LedgerError/budgetExceeded(path:spent:next:budget:)`` (writing nothing) when it
    /// would take ε past the budget. The caller gives the answers only after this returns.
    /// `sequence` must be larger than ``lastAnswerSequence`` (``LedgerError/sequenceNotIncreasing(path:last:given:)``
    /// otherwise, nothing written), so the answers are ordered in the file as they were given.
    public func record(_ segment: PureDPSegment, sequence: Int) throws(LedgerError) {
        guard sequence > lastAnswerSequence else { throw .sequenceNotIncreasing(path: path, last: lastAnswerSequence, given: sequence) }
        try spend("answer \(segment.epsilon) \(segment.count) \(sequence)") { $0.compose(segment) }
        lastAnswerSequence = sequence
    }

    /// ε at the budget's δ after `compose` adds a spend to the history.
    private func epsilon(after compose: (inout RDPAccountant) -> Void) -> Double {
        var a = accountant
        compose(&a)
        return a.epsilon(delta: budget.delta).epsilon
    }

    /// Every spend: the budget checked against the history with it, then the record appended and
    /// fsynced, the accountant updated, and the head brought up to date.
    private func spend(_ record: String, _ compose: (inout RDPAccountant) -> Void) throws(LedgerError) {
        var after = accountant
        compose(&after)
        let next = after.epsilon(delta: budget.delta).epsilon
        guard next <= budget.epsilon else {
            throw .budgetExceeded(path: path, spent: spentEpsilon, next: next, budget: budget.epsilon)
        }
        try commitBudget()
        try appendLine(record)
        accountant = after
        try updateHead()
    }

    /// Raises (or lowers) the budget: an explicit, recorded decision with its reason (newlines and `#`
    /// become spaces). δ stays. Throws ``LedgerError/invalidBudget(path:epsilon:delta:)`` unless ε > 0.
    public func setBudget(epsilon: Double, reason: String) throws(LedgerError) {
        guard epsilon > 0 else { throw .invalidBudget(path: path, epsilon: epsilon, delta: budget.delta) }
        try commitBudget()
        try appendLine(LedgerFormat.budgetRecord(epsilon: epsilon, delta: budget.delta, reason: reason))
        budget.epsilon = epsilon
        try updateHead()
    }

    /// FNV-1a 64 of a v1 line's text, in hex (the unkeyed checksum of legacy ledgers).
    static func checksum(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }

    /// Appends the record with its chained MAC and fsyncs it; on return it is durable. A stale head is
    /// brought up to date first. A failed write is undone (the file cut back) so that no partial line
    /// is left for the next append to follow; if that fails too, the ledger refuses further appends.
    private func appendLine(_ record: String) throws(LedgerError) {
        guard !unusable else {
            var error = POSIXFileError(path: path, operation: "append")
            error.reason = "an earlier append failed and could not be undone; reopen the ledger"
            throw .io(error)
        }
        if headStale { try updateHead() }
        let mac = seal.mac(index: recordCount, previous: lastMAC, record: record)
        let line = Array("\(record) #\(mac)\n".utf8)
        var failure: POSIXFileError?
        do { try POSIXFile.writeAll(line, to: descriptor, path: path) } catch { failure = error }
        if failure == nil, fsync(descriptor) != 0 { failure = POSIXFileError(path: path, operation: "flush (fsync)") }
        if let failure {
            if ftruncate(descriptor, off_t(size)) != 0 { unusable = true }
            throw .io(failure)
        }
        recordCount += 1
        lastMAC = mac
        size += line.count
        headStale = true
    }

    /// Writes the head for the records so far.
    private func updateHead() throws(LedgerError) {
        try seal.writeHead(.init(count: recordCount, mac: lastMAC))
        headStale = false
    }
}

/// What a ledger file holds, as ``PrivacyLedger/read(path:seal:)`` found it.
public struct LedgerContents {
    /// The spends composed (Gaussian and Skellam).
    public var accountant: RDPAccountant
    /// The last budget recorded (nil when none).
    public var budget: (epsilon: Double, delta: Double)?
    /// The last Gaussian noise multiplier spent.
    public var lastNoiseMultiplier: Double?
    /// Whether the records' MACs were verified (read with a seal). Unverified contents are for
    /// display only.
    public var verified: Bool
}

extension PrivacyLedger {
    /// What a ledger file holds, read without opening it for writing (another process or the engine
    /// may own it) and without writing anything. A torn final line (a write in progress) is left out.
    ///
    /// With a seal, the records' MAC chain is verified (not the head, which a reader does not update):
    /// edits, deletions, insertions and reorderings before the last record are found, a cut at the end
    /// is not. A v1 file then throws ``LedgerError/legacyFormat(path:head:)``. With `seal: nil` only the
    /// format is checked (v1 checksums, v2 syntax): the result is unverified (`verified` false), for
    /// display only, never for enforcing a budget.
    ///
    /// Throws ``LedgerError/damaged(path:line:text:)``, ``LedgerError/chainBroken(path:line:text:)``,
    /// ``LedgerError/legacyFormat(path:head:)`` and ``LedgerError/io(_:)`` (also for a missing file).
    public static func read(path: String, seal: LedgerSeal?) throws(LedgerError) -> LedgerContents {
        let bytes: [UInt8]
        do { bytes = try POSIXFile.readAll(path) } catch { throw .io(error) }
        let replay: LedgerReplay
        switch LedgerFormat.version(of: bytes) {
        case .empty: replay = LedgerReplay()
        case .v1:
            if seal != nil { throw .legacyFormat(path: path, head: nil) }
            replay = try LedgerFormat.parseV1(bytes, path: path)
        case .v2: replay = try LedgerFormat.parseV2(bytes, path: path, seal: seal)
        }
        return LedgerContents(accountant: replay.accountant, budget: replay.budget,
                              lastNoiseMultiplier: replay.lastNoiseMultiplier, verified: seal != nil)
    }
}
