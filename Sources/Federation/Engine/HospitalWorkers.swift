import Foundation
import TensorCore

/// The threads the engine calls its hospitals on: more than the cores, so that while one
/// hospital waits — its ledger's fsync before its update may leave, a remote hospital's network —
/// another computes, and the core does not idle. Compute itself stays at one hospital per core:
/// local hospitals take a slot of the shared ``ComputeGate`` to train and evaluate, so the extra
/// threads only ever wait.
///
/// Why not a concurrent Dispatch queue (as before): on Linux, libdispatch runs such a queue on as
/// many threads as there are cores and does not notice at once that one is blocked in `fsync`
/// (0.1–0.3 ms a ledger record, for every hospital every round), so a 1,000-hospital round on two
/// cores spent about a sixth of its time with a core idle (`fedtop bench scale`).
///
/// Contract: jobs start in the order submitted, on at most ``limit`` threads; a thread is started
/// when a job arrives and no thread is idle (up to the limit), and ends after ``idleSeconds`` with
/// nothing to do, so an engine that has finished leaves no thread behind for long.
final class HospitalWorkers: @unchecked Sendable {
    /// Threads at most.
    let limit: Int
    /// How long an idle thread waits for work before it ends.
    static let idleSeconds = 2.0

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var threads = 0
    private var idle = 0

    /// - Parameter limit: threads at most (at least 1).
    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Threads for a federation: twice the cores and two more (a ledger record is two syncs, which
    /// queue at the disk when every hospital writes one), plus one for each remote hospital (whose
    /// calls mostly wait on the network), at most 256.
    static func limit(cores: Int = ComputePolicy.cores, remoteHospitals: Int) -> Int {
        min(256, 2 * max(1, cores) + 2 + max(0, remoteHospitals))
    }

    /// Runs `job` on one of the threads, as soon as one is free.
    func async(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        let spawn = idle == 0 && threads < limit
        if spawn { threads += 1 } else { condition.signal() }
        condition.unlock()
        if spawn {
            let thread = Thread { [self] in work() }
            thread.name = "fedtop.hospitals"
            thread.start()
        }
    }

    /// Threads running now (started and not yet ended).
    var threadCount: Int { condition.withLock { threads } }

    private func work() {
        condition.lock()
        while true {
            if head < jobs.count {
                let job = jobs[head]
                head += 1
                if head == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    head = 0
                }
                condition.unlock()
                job()
                condition.lock()
                continue
            }
            idle += 1
            let signalled = condition.wait(until: Date(timeIntervalSinceNow: Self.idleSeconds))
            idle -= 1
            if !signalled && head >= jobs.count {
                threads -= 1
                condition.unlock()
                return
            }
        }
    }
}
