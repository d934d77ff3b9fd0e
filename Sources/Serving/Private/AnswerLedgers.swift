import Foundation
import Privacy
import TensorCore

/// What a key's private answers have cost, at its budget's δ.
public struct AnswerBudget: Sendable, Equatable {
    public var epsilon: Double
    public var delta: Double
    public var spentEpsilon: Double
    public var answers: Int
    public var remainingEpsilon: Double { max(0, epsilon - spentEpsilon) }

    public init(epsilon: Double, delta: Double, spentEpsilon: Double, answers: Int) {
        self.epsilon = epsilon
        self.delta = delta
        self.spentEpsilon = spentEpsilon
        self.answers = answers
    }
}

/// Why a private answer was not given.
public enum AnswerRefusal: Error, Equatable, Sendable {
    /// The key has no private budget (ε 0), or the answers would pass it; nothing was spent.
    case budgetExhausted(AnswerBudget)
    /// The ledger could not be opened or written; nothing may be answered (details for the log).
    case ledger(String)
}

/// One write-ahead privacy ledger per API key for its private predictions — the hospitals' ledger
/// code (``PrivacyLedger``: the MAC chain under a seal kept apart, the head, fsync before return,
/// the budget enforced), with `answer` records (``PureDPSegment``).
///
/// Contract: ``charge(key:epsilon:count:)`` records `count` answers of ε each durably *before* it
/// returns, and the caller answers only after it returns; past the key's budget it throws
/// ``AnswerRefusal/budgetExhausted(_:)`` and writes nothing. Each ledger numbers its `answer`
/// records 1, 2, 3, … in the order they were paid (one number a request). A crash can leave a spend whose answer
/// was never sent (ε over-reported), never an answer whose spend is lost. Ledgers live in
/// `<state>/ledgers/<key id>.ledger`, their seals in `<state>/seals/`.
public final class AnswerLedgers: @unchecked Sendable {
    public let directory: String
    private let lock = NSLock()
    private var open: [String: PrivacyLedger] = [:]

    public init(stateDirectory: String) throws(AnswerRefusal) {
        directory = stateDirectory
        do {
            try POSIXFile.makeDirectories(stateDirectory + "/ledgers")
        } catch { throw .ledger("\(error)") }
    }

    /// The key's budget and spend so far (opening its ledger if need be).
    public func budget(of key: APIKey) throws(AnswerRefusal) -> AnswerBudget {
        lock.lock()
        defer { lock.unlock() }
        return Self.budget(try ledger(for: key))
    }

    /// Pays for `count` answers of ε each from the key's budget, durably.
    public func charge(key: APIKey, epsilon: Double, count: Int) throws(AnswerRefusal) -> AnswerBudget {
        guard key.privateEpsilon > 0 else {
            throw .budgetExhausted(AnswerBudget(epsilon: 0, delta: key.privateDelta, spentEpsilon: 0, answers: 0))
        }
        lock.lock()
        defer { lock.unlock() }
        let ledger = try ledger(for: key)
        let segment: PureDPSegment
        do { segment = try PureDPSegment(epsilon: epsilon, count: count) } catch { throw .ledger("\(error)") }
        do { try ledger.record(segment, sequence: ledger.lastAnswerSequence + 1) } catch {
            if case .budgetExceeded = error { throw .budgetExhausted(Self.budget(ledger)) }
            throw .ledger("\(error)")
        }
        return Self.budget(ledger)
    }

    private func ledger(for key: APIKey) throws(AnswerRefusal) -> PrivacyLedger {
        if let ledger = open[key.id] { return ledger }
        // A key without a private budget still gets a ledger (with the smallest budget) so that its
        // refusals and its spend (none) read the same way.
        let budget = (epsilon: max(key.privateEpsilon, 1e-9), delta: key.privateDelta)
        do {
            let seal = try LedgerSeal.loadOrCreate(directory: directory + "/seals", name: key.id)
            let ledger = try PrivacyLedger(path: directory + "/ledgers/\(key.id).ledger", budget: budget, seal: seal)
            open[key.id] = ledger
            return ledger
        } catch { throw .ledger("\(error)") }
    }

    private static func budget(_ ledger: PrivacyLedger) -> AnswerBudget {
        AnswerBudget(epsilon: ledger.budget.epsilon, delta: ledger.budget.delta, spentEpsilon: ledger.spentEpsilon,
                     answers: ledger.accountant.pureSegments.reduce(0) { $0 + $1.count })
    }
}
