import TensorCore

/// Errors of a ``PrivacyLedger`` and its ``LedgerSeal``. Each names the file (and, for a record, its
/// 1-based line; in a v2 ledger line 1 is the `fedtop-ledger 2` header, so record k is line k + 1)
/// and says what to do. An open that throws (other than ``io(_:)``) has written nothing.
public enum LedgerError: Error, Equatable, CustomStringConvertible {
    /// The next spend would take ε past the budget; nothing was written.
    case budgetExceeded(path: String, spent: Double, next: Double, budget: Double)
    /// A budget that is not ε > 0 with 0 < δ < 1.
    case invalidBudget(path: String, epsilon: Double, delta: Double)
    /// No budget was given (`budget: nil`) for a ledger that records none (a new one).
    case budgetRequired(path: String)
    /// The budget given at open is higher than the recorded one and no reason was given for raising it.
    case budgetRaiseRefused(path: String, recorded: Double, requested: Double)
    /// The δ given at open differs from the recorded one; δ cannot change under an existing spend.
    case deltaChangeRefused(path: String, recorded: Double, requested: Double)
    /// A line that does not parse (no ` #` tag, unknown record kind, bad field) or, in a v1 ledger,
    /// fails its checksum.
    case damaged(path: String, line: Int, text: String)
    /// A v2 record whose MAC does not match its text, its position and the record before it: the
    /// record was edited, or one before it was deleted, inserted or moved, or it was sealed with
    /// another key.
    case chainBroken(path: String, line: Int, text: String)
    /// The ledger holds fewer complete records (`found`) than its head says were committed
    /// (`expected`): cut short, a committed record's line truncated, or rolled back to an older copy.
    case truncated(path: String, expected: Int, found: Int)
    /// The ledger is missing or empty while its head says `records` were committed.
    case missing(path: String, records: Int)
    /// The head record at `path` (of the ledger `ledger`) does not parse or fails its MAC.
    case headDamaged(path: String, ledger: String)
    /// The ledger's record number `records` does not carry the MAC its head (`head`) recorded: the
    /// file was replaced by another ledger sealed with the same key.
    case headMismatch(path: String, head: String, records: Int)
    /// The ledger holds `found` records, more than one beyond the `recorded` of its head (`head`); a
    /// ledger is never more than one append ahead of its head.
    case headBehind(path: String, head: String, recorded: Int, found: Int)
    /// An unkeyed v1 ledger where a sealed one is required: opened while its head (`head`) exists, or
    /// read with a seal (`head` nil).
    case legacyFormat(path: String, head: String?)
    /// The seal's key (or the name given for it) cannot be used; `problem` says why and what to do.
    case sealRejected(path: String, problem: String)
    /// The seal's head (`head`) is in the ledger's own directory, where it protects nothing.
    case sealBesideLedger(path: String, head: String)
    /// An `answer` record's sequence number `given` is not larger than the ledger's last (`last`); nothing was written.
    case sequenceNotIncreasing(path: String, last: Int, given: Int)
    /// A system call failed.
    case io(POSIXFileError)

    public var description: String {
        switch self {
        case let .budgetExceeded(path, spent, next, budget):
            return "\(path): privacy budget would be exceeded: ε \(fmt(spent)) spent, \(fmt(next)) after this round, budget \(fmt(budget)). "
                + "Nothing was written; do not send the update (a higher budget needs --raise-budget REASON)"
        case let .invalidBudget(path, epsilon, delta):
            return "\(path): invalid privacy budget ε \(epsilon), δ \(delta): give ε > 0 and 0 < δ < 1"
        case let .budgetRequired(path):
            return "\(path): the ledger records no budget; give one (ε and δ) to start it"
        case let .budgetRaiseRefused(path, recorded, requested):
            return "\(path): the ledger's recorded budget is ε \(recorded); raising it to \(requested) is a recorded decision: "
                + "pass --raise-budget REASON (e.g. the ethics board's approval), or keep ε \(recorded). Nothing was written."
        case let .deltaChangeRefused(path, recorded, requested):
            return "\(path): the ledger's recorded δ is \(recorded); it cannot change to \(requested) under an existing spend "
                + "(the ε already spent is stated at δ \(recorded)). Keep δ \(recorded), or start a new ledger. Nothing was written."
        case let .damaged(path, line, text):
            return "\(path) line \(line): damaged ledger record '\(text.prefix(80))' (format or checksum): the file was edited "
                + "or corrupted; restore it from a backup"
        case let .chainBroken(path, line, text):
            return "\(path) line \(line): ledger record '\(text.prefix(80))' fails its MAC: it was edited, or a record before it "
                + "was deleted, inserted or moved, or the file was sealed with another key. Restore the ledger from a backup; "
                + "its spends cannot be trusted as they are"
        case let .truncated(path, expected, found):
            return "\(path): the ledger holds \(found) complete records but its head says \(expected) were committed: record "
                + "\(found + 1) (line \(found + 2)) onwards is missing or cut short (the file was truncated or rolled back). "
                + "Restore it from a backup; continuing would under-count the privacy spent"
        case let .missing(path, records):
            return "\(path): the ledger is missing or empty, but its head says \(records) records were committed. Restore it "
                + "from a backup, or pass --new-ledger to start again at ε 0 (the spends it held are then no longer counted)"
        case let .headDamaged(path, ledger):
            return "\(path): the head record of \(ledger) is damaged or fails its MAC (edited, or written with another key). "
                + "Restore it (or the seal's key) from a backup; if the ledger itself is trusted, moving the head aside "
                + "makes the next open trust the ledger as found and write a new head"
        case let .sequenceNotIncreasing(path, last, given):
            return "\(path): answer sequence \(given) is not after the ledger's last (\(last)); nothing was written"
        case let .headMismatch(path, head, records):
            return "\(path): record \(records) (line \(records + 1)) does not carry the MAC that the head \(head) recorded: "
                + "the file was replaced by another ledger sealed with the same key. Restore the right ledger"
        case let .headBehind(path, head, recorded, found):
            return "\(path): the ledger holds \(found) records but its head \(head) records only \(recorded): records "
                + "\(recorded + 2) onwards (from line \(recorded + 3)) were appended without updating the head. If the ledger "
                + "is trusted, move the head aside and reopen (a new head is written)"
        case let .legacyFormat(path, head?):
            return "\(path): an unkeyed v1 ledger where a sealed one was (its head \(head) exists): the file was replaced "
                + "or rewritten. Restore the sealed ledger from a backup"
        case let .legacyFormat(path, nil):
            return "\(path): an unkeyed v1 ledger cannot be verified with a seal; open it once for writing (which upgrades "
                + "it to a sealed v2 ledger), or read it without a seal for display only"
        case let .sealRejected(path, problem):
            return "\(path): the ledger seal cannot be used: \(problem)"
        case let .sealBesideLedger(path, head):
            return "\(path): the ledger's seal head \(head) is in the ledger's own directory, where whoever can delete the "
                + "ledger can delete its head too; keep the seal in another directory (e.g. beside the TLS credentials)"
        case let .io(error):
            return error.description
        }
    }

    private func fmt(_ x: Double) -> String {
        let scaled = (x * 1000).rounded() / 1000
        return "\(scaled)"
    }
}
