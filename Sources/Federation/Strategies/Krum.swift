import TensorCore

/// Krum (Blanchard, El Mhamdi, Guerraoui & Stainer 2017, "Machine learning with adversaries:
/// Byzantine tolerant gradient descent"): each update is scored by the sum of its squared L2
/// distances to its n − f − 2 nearest other updates, and the aggregate is the update with the lowest
/// score, one that sits inside the largest tight cluster.
///
/// Contract: f ≥ 0 is the number of Byzantine hospitals tolerated. The paper's guarantee needs
/// n ≥ 2f + 3; with fewer updates the rule still runs with max(1, n − f − 2) neighbours (at most
/// n − 1; a single update is returned as is) but guarantees nothing. Unweighted; ties go to the lowest
/// index, so the choice is deterministic for the engine's deterministic order. Stateless; the server
/// step is global += aggregate. Name `krum:f`.
public struct Krum: Strategy {
    /// f, the number of Byzantine hospitals tolerated.
    public let byzantine: Int

    /// - Precondition: `byzantine` ≥ 0.
    public init(byzantine: Int) {
        precondition(byzantine >= 0, "Krum: f \(byzantine) must be ≥ 0")
        self.byzantine = byzantine
    }

    public var name: String { "krum:\(byzantine)" }
    public var combination: CombinationKind { .robust }

    public func combine(_ updates: [ClientUpdate]) -> Tensor {
        AggregationMath.krum(updates.map(\.delta), byzantine: byzantine)
    }

    /// The hospital whose update Krum chooses (for the audit).
    public static func selectedHospital(_ updates: [ClientUpdate], byzantine: Int) -> String {
        updates[AggregationMath.krumSelection(updates.map(\.delta), byzantine: byzantine, selecting: 1)[0]].hospital
    }
}

/// Multi-Krum (Blanchard, El Mhamdi, Guerraoui & Stainer 2017, "Machine learning with adversaries:
/// Byzantine tolerant gradient descent", §5): the m updates with the lowest Krum scores (computed once
/// over all n) are averaged, unweighted as in the paper; m = 1 is Krum.
///
/// Contract: f ≥ 0 and m ≥ 1; when m > n all n updates are averaged. The neighbour count, the n ≥ 2f + 3
/// caveat and the tie rule are Krum's. Stateless; the server step is global += aggregate. Name
/// `multikrum:f:m`.
public struct MultiKrum: Strategy {
    /// f, the number of Byzantine hospitals tolerated.
    public let byzantine: Int
    /// m, the number of lowest-scored updates averaged.
    public let selected: Int

    /// - Precondition: `byzantine` ≥ 0, `selected` ≥ 1.
    public init(byzantine: Int, selected: Int) {
        precondition(byzantine >= 0, "MultiKrum: f \(byzantine) must be ≥ 0")
        precondition(selected >= 1, "MultiKrum: m \(selected) must be ≥ 1")
        self.byzantine = byzantine
        self.selected = selected
    }

    public var name: String { "multikrum:\(byzantine):\(selected)" }
    public var combination: CombinationKind { .robust }

    public func combine(_ updates: [ClientUpdate]) -> Tensor {
        AggregationMath.multiKrum(updates.map(\.delta), byzantine: byzantine, selecting: selected)
    }

    /// The hospitals whose updates Multi-Krum averages, lowest score first (for the audit).
    public static func selectedHospitals(_ updates: [ClientUpdate], byzantine: Int, selecting m: Int) -> [String] {
        AggregationMath.krumSelection(updates.map(\.delta), byzantine: byzantine, selecting: m)
            .map { updates[$0].hospital }
    }
}

extension AggregationMath {
    /// ‖uᵢ − uⱼ‖² for every pair, from the differences themselves accumulated in Double (the expansion
    /// ‖a‖² + ‖b‖² − 2a·b cancels badly in Float32 when updates are close). Symmetric, zero diagonal.
    public static func pairwiseSquaredDistances(_ updates: [Tensor]) -> [[Double]] {
        checkUpdates(updates, "pairwiseSquaredDistances")
        let n = updates.count
        var distances = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let d = updates[i].withUnsafeBufferPointer { a in
                    updates[j].withUnsafeBufferPointer { b in
                        var sum = 0.0
                        for k in 0..<a.count {
                            let diff = Double(a[k]) - Double(b[k])
                            sum += diff * diff
                        }
                        return sum
                    }
                }
                distances[i][j] = d
                distances[j][i] = d
            }
        }
        return distances
    }

    /// The number of nearest neighbours a Krum score sums over: n − f − 2, at least 1 when the
    /// guarantee's n ≥ 2f + 3 does not hold, and at most n − 1 (0 for a single update).
    public static func krumNeighbourCount(updates n: Int, byzantine f: Int) -> Int {
        min(n - 1, max(1, n - f - 2))
    }

    /// Each update's Krum score: the sum of its squared distances to its
    /// ``krumNeighbourCount(updates:byzantine:)`` nearest other updates.
    public static func krumScores(_ updates: [Tensor], byzantine f: Int) -> [Double] {
        let distances = pairwiseSquaredDistances(updates)
        let n = updates.count, neighbours = krumNeighbourCount(updates: n, byzantine: f)
        return (0..<n).map { i in
            let others = (0..<n).filter { $0 != i }.map { distances[i][$0] }.sorted()
            return others.prefix(neighbours).reduce(0, +)
        }
    }

    /// The indices of the min(m, n) lowest Krum scores, lowest first; equal scores in index order.
    public static func krumSelection(_ updates: [Tensor], byzantine f: Int, selecting m: Int) -> [Int] {
        precondition(f >= 0 && m >= 1, "AggregationMath.krumSelection: f \(f) must be ≥ 0 and m \(m) ≥ 1")
        let scores = krumScores(updates, byzantine: f)
        let order = scores.indices.sorted { (scores[$0], $0) < (scores[$1], $1) }
        return Array(order.prefix(m))
    }

    /// Krum: the update with the lowest score.
    public static func krum(_ updates: [Tensor], byzantine f: Int) -> Tensor {
        updates[krumSelection(updates, byzantine: f, selecting: 1)[0]]
    }

    /// Multi-Krum: the unweighted mean of the min(m, n) lowest-scored updates.
    public static func multiKrum(_ updates: [Tensor], byzantine f: Int, selecting m: Int) -> Tensor {
        mean(krumSelection(updates, byzantine: f, selecting: m).map { updates[$0] })
    }
}
