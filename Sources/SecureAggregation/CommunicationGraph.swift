import Foundation

/// Who shares keys and masks with whom in a session.
///
/// - ``complete(_:)``: Bonawitz et al. 2017, every hospital with every other.
/// - ``harary(_:degree:)``: SecAgg+ (Bell, Bonawitz, Gascón, Lepoint & Raykova 2020): the Harary
///   graph H(k, n) (node i adjacent to i ± 1 … i ± k/2 around a ring), over participant ids that the
///   aggregator assigns by a uniformly random permutation each round, which makes it the random
///   Harary graph of the paper. Each hospital's secrets are shared among its k neighbours and itself.
/// - ``forFederation(_:)``: the full graph below 64 hospitals (as Google's implementation does), SecAgg+
///   with k = 2⌈1.5·log₂ n⌉ (O(log n)) above.
///
/// Contract: participant ids are 1…n; `neighbours(of:)` never contains the id itself and is symmetric.
public struct CommunicationGraph: Sendable, Equatable, CustomStringConvertible {
    public let count: Int
    /// Neighbours per node (n − 1 for the complete graph).
    public let degree: Int

    public static func complete(_ n: Int) -> CommunicationGraph { CommunicationGraph(count: n, degree: max(n - 1, 0)) }

    public static func harary(_ n: Int, degree k: Int) throws(SecAggError) -> CommunicationGraph {
        guard k >= 2, k % 2 == 0 else { throw .invalidConfiguration("Harary degree k = \(k) must be even and ≥ 2") }
        guard k < n else { return complete(n) }
        return CommunicationGraph(count: n, degree: k)
    }

    /// Below this many hospitals the full graph is used.
    public static let sparseFrom = 64

    public static func forFederation(_ n: Int) -> CommunicationGraph {
        guard n >= sparseFrom else { return complete(n) }
        let k = 2 * Int((1.5 * log2(Double(n))).rounded(.up))
        return (try? harary(n, degree: k)) ?? complete(n)
    }

    public var isComplete: Bool { degree >= count - 1 }

    /// The neighbours of `id` (1…n), in increasing order.
    public func neighbours(of id: UInt32) -> [UInt32] {
        let n = count, i = Int(id) - 1
        guard i >= 0, i < n else { return [] }
        if isComplete { return (1...UInt32(n)).filter { $0 != id } }
        var result = Set<UInt32>()
        for d in 1...(degree / 2) {
            result.insert(UInt32((i + d) % n + 1))
            result.insert(UInt32((i - d + n) % n + 1))
        }
        return result.sorted()
    }

    /// `neighbours(of:)` and the id itself: the holders of its shares.
    public func neighbourhood(of id: UInt32) -> [UInt32] { (neighbours(of: id) + [id]).sorted() }

    public var description: String { isComplete ? "complete (n=\(count))" : "Harary k=\(degree) (n=\(count))" }
}
