import Dispatch
import Foundation
import TensorCore

/// Runs the live membership audit (``RoundAuditor``) of each round's global model beside the next
/// round instead of inside the round.
///
/// The audit is for the operator watching, not for the round: nothing the aggregator decides reads
/// it. Run inside the round it was most of the engine's own time in a small federation (two forward
/// passes and an ROC curve against ten hospitals' ~5 µs evaluations, `fedtop bench rounds`), while
/// the hospitals' threads, waiting on their ledgers' fsyncs, left a core partly idle.
///
/// Contract:
/// - Every submitted round is audited, in round order, on one background thread; its snapshot is
///   reported with that round's number. The engine submits a round after publishing its
///   `roundCompleted`, so the snapshot follows it (possibly after the next round has started).
/// - At most one round is queued behind the one being audited: ``submit(model:round:)`` blocks
///   while the previous round's audit has not started, so the pipeline holds at most two models
///   and the newest snapshot reported is at most two rounds older than the round in progress.
/// - ``flush()`` returns when every submitted round has been audited and reported; the engine
///   flushes before it holds (pause) and before it reports the end of the run, so a held or
///   finished run shows the audit of its last completed round. A round that failed or diverged is
///   not audited (the global model did not change).
final class AuditPipeline: @unchecked Sendable {
    private let auditor: any RoundAuditor
    private let report: @Sendable (_ round: Int, _ snapshot: MembershipAuditSnapshot) -> Void
    private let queue = DispatchQueue(label: "fedtop.audit")
    private let condition = NSCondition()
    private var waiting: (model: Sequential, round: Int)?
    private var running = false

    /// - Parameter report: called on the audit's thread with each round's snapshot (not for a round
    ///   the auditor could not measure).
    init(auditor: any RoundAuditor, report: @escaping @Sendable (_ round: Int, _ snapshot: MembershipAuditSnapshot) -> Void) {
        self.auditor = auditor
        self.report = report
    }

    /// Queues round `round`'s model; returns once it is queued (waiting first while the previous
    /// round's audit has not started).
    func submit(model: Sequential, round: Int) {
        condition.lock()
        while waiting != nil { condition.wait() }
        waiting = (model, round)
        let start = !running
        running = true
        condition.unlock()
        if start { queue.async { self.drain() } }
    }

    /// Waits until every submitted round has been audited and reported.
    func flush() {
        condition.lock()
        while running { condition.wait() }
        condition.unlock()
    }

    private func drain() {
        while true {
            condition.lock()
            guard let job = waiting else {
                running = false
                condition.broadcast()
                condition.unlock()
                return
            }
            waiting = nil
            condition.broadcast()
            condition.unlock()
            if let snapshot = auditor.audit(model: job.model, round: job.round) { report(job.round, snapshot) }
        }
    }
}
