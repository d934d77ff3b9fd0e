import Foundation
import Synchronization

/// The RDP vector of one step at a given setting, computed once per process and shared: by every
/// hospital's ledger, by the checks before training (``PrivacyLedger/epsilon(after:)``), by the
/// federation's ledger and by the console's projections. A round of 1,000 hospitals at the same
/// (q, σ) costs one evaluation of the sampled Gaussian's RDP (Mironov, Talwar & Zhang 2019) instead of
/// thousands of passes of lgamma/log/exp over the orders.
///
/// Contract:
/// - The function cached is pure, so a cached vector is bit for bit the one a direct evaluation gives
///   (`RDPStepCacheTests` checks this over random histories against the uncached path).
/// - Keys are the exact bit patterns of the settings, and the orders compared as Doubles (equal
///   orders are the same orders): 0.1 and its neighbour are two entries, never merged.
/// - Bounded: past ``capacity`` entries the cache starts again empty (a run has a handful of distinct
///   settings; a sweep of σ may have hundreds).
/// - Thread-safe; ``evaluations`` counts the misses (the RDP vectors actually computed), for tests and
///   benchmarks.
enum RDPStepCache {
    struct Key: Hashable {
        var kind: UInt8
        var settings: [UInt64]
        var orders: [Double]
    }

    static let capacity = 4096
    // NSLock (a pthread mutex), not Synchronization.Mutex: on Linux Mutex waits on a futex that Thread
    // Sanitizer cannot see, so it reported the table's guarded accesses as races (CI, TSan).
    private static let lock = NSLock()
    nonisolated(unsafe) private static var table: [Key: (vector: [Double], computations: Int)] = [:]
    private static let misses = Atomic<Int>(0)

    /// RDP vectors computed (cache misses) since the process started.
    static var evaluations: Int { misses.load(ordering: .relaxed) }

    /// How many times the vector of `key` was computed while it stayed in the cache (0: not there).
    static func computations(of key: Key) -> Int { lock.withLock { table[key]?.computations ?? 0 } }

    /// The cached vector for `key`, or `compute()`'s, stored.
    static func vector(_ key: Key, compute: () -> [Double]) -> [Double] {
        if let hit = lock.withLock({ table[key]?.vector }) { return hit }
        // Computed outside the lock: two threads may both compute a new setting once; both get the
        // same (pure) result.
        let value = compute()
        misses.add(1, ordering: .relaxed)
        lock.withLock {
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[key] = (value, (table[key]?.computations ?? 0) + 1)
        }
        return value
    }
}
