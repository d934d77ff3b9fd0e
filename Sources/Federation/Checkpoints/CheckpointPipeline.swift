import Dispatch
import Foundation
import TensorCore

/// Writes the engine's round checkpoints off the round's critical path.
///
/// A durable, signed checkpoint costs several fsyncs (tens of milliseconds on an ordinary disk),
/// often more than a small federation's whole round of training. The engine hands each round's model
/// (a copy-on-write value) to this pipeline and goes on; one background writer installs it with the
/// store's atomic protocol.
///
/// Contract:
/// - Checkpoints are written in round order, each atomically (see ``CheckpointStore``). When rounds
///   finish faster than the disk, a snapshot not yet started is replaced by the newer one (the file
///   holds only the latest round anyway); ``superseded`` counts those.
/// - Paced: after a write that took d seconds the writer rests ``restFactor``·d (at most
///   ``longestRest``, timed on the monotonic clock) before the next one (a newer round arriving
///   meanwhile replaces the one waiting), so checkpoints take at most a
///   quarter of the time whatever the round length. A 10-hospital round of ~10 ms would otherwise
///   pay a signed, 6-fsync checkpoint on every round, on the same two cores (`fedtop bench scale`);
///   a round of a second or more is checkpointed every round, as before.
/// - ``flush()`` returns when everything submitted is on disk (or has failed and been reported); it
///   cuts a rest short. The engine flushes before it holds (pause) and before it reports the end of
///   the run, so a paused or finished run is durable.
/// - What a crash can lose is the rounds since the last checkpoint (about (1 + restFactor)·d of
///   rounds), never ε: the hospitals' ledgers are written before their updates leave, so a run
///   resumed from an older checkpoint re-spends, never forgets.
final class CheckpointPipeline: @unchecked Sendable {
    /// One round's state, as handed over.
    struct Snapshot: @unchecked Sendable {
        var model: Sequential
        var round: Int
        var serverState: [String: Tensor]
        var metadata: [String: String]
    }

    private let target: any RoundCheckpointing
    private let report: @Sendable (_ round: Int, _ result: Result<String, any Error>) -> Void
    private let queue = DispatchQueue(label: "fedtop.checkpoint")
    private let condition = NSCondition()
    private var pending: Snapshot?
    private var writing = false
    private var _superseded = 0
    /// Threads waiting in ``flush()``: the writer does not rest while there are any.
    private var flushing = 0
    /// No write starts before this (unless flushing); monotonic, so a step of the wall clock neither
    /// stretches nor skips a rest.
    private var restUntil = ContinuousClock.now

    /// Rest after a write, in multiples of the write's own time.
    static let restFactor = 3.0
    /// The longest rest, however slow the last write was.
    static let longestRest = Duration.seconds(5)

    /// - Parameter report: called on the writer's thread after each write, with the path or the error.
    init(target: any RoundCheckpointing,
         report: @escaping @Sendable (_ round: Int, _ result: Result<String, any Error>) -> Void) {
        self.target = target
        self.report = report
    }

    /// Snapshots replaced by a newer round before they were written.
    var superseded: Int { condition.withLock { _superseded } }

    /// Queues `snapshot` for writing and returns at once.
    func submit(_ snapshot: Snapshot) {
        condition.lock()
        if pending != nil { _superseded += 1 }
        pending = snapshot
        let start = !writing
        writing = true
        condition.unlock()
        if start { queue.async { self.drain() } }
    }

    /// Waits until every submitted snapshot has been written (or reported as failed).
    func flush() {
        condition.lock()
        flushing += 1
        condition.broadcast()
        while writing { condition.wait() }
        flushing -= 1
        condition.unlock()
    }

    private func drain() {
        while true {
            condition.lock()
            while pending != nil, flushing == 0, case let remaining = ContinuousClock.now.duration(to: restUntil), remaining > .zero {
                _ = condition.wait(until: Date(timeIntervalSinceNow: remaining / .seconds(1)))
            }
            guard let snapshot = pending else {
                writing = false
                condition.broadcast()
                condition.unlock()
                return
            }
            pending = nil
            condition.unlock()
            let started = ContinuousClock.now
            let result = Result<String, any Error> {
                try target.write(model: snapshot.model, round: snapshot.round, serverState: snapshot.serverState,
                                 metadata: snapshot.metadata)
            }
            let finished = ContinuousClock.now
            let rest = min(started.duration(to: finished) * Self.restFactor, Self.longestRest)
            condition.withLock { restUntil = finished + rest }
            report(snapshot.round, result)
        }
    }
}
