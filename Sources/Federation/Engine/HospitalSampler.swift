import TensorCore

/// Chooses a round's hospitals: a fixed count uniformly without replacement, or Poisson sampling with
/// rate q (each hospital independently), seeded by the run's seed and the round so a seeded run
/// repeats. The result keeps the federation's order, so aggregation order is deterministic.
public enum HospitalSampler {
    public static func select(from available: [Int], selection: HospitalSelection, seed: UInt64, round: Int) -> [Int] {
        var rng = SeededGenerator(seed: seed, stream: 0x7365_6c00_0000_0000 | UInt64(round))
        switch selection {
        case .count(let k):
            guard k < available.count else { return available }
            var pool = available
            // Partial Fisher–Yates: the first k of a uniform permutation.
            for i in 0..<k {
                let j = i + Int(rng.next(upperBound: UInt64(pool.count - i)))
                pool.swapAt(i, j)
            }
            return pool[..<k].sorted()
        case .rate(let q):
            if q >= 1 { return available }
            let threshold = UInt64((q * 18_446_744_073_709_551_616.0).rounded(.down))  // q · 2⁶⁴
            return available.filter { _ in rng.next() < threshold }
        }
    }
}
