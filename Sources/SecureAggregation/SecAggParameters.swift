/// What every party of one session agrees on before it starts; the session id binds it.
///
/// Contract: participants are ids 1…n (n = ``graph``'s count), ``threshold`` t is the number of
/// shares that reconstruct a secret within any neighbourhood (1 < t ≤ neighbourhood size; t > half the
/// neighbourhood, so an aggregator that lies about who dropped cannot gather both shares of anyone),
/// and every input is ``vectorLength`` words of Z/2³².
public struct SecAggParameters: Sendable, Equatable {
    public var runID: String
    public var round: Int
    public var graph: CommunicationGraph
    public var threshold: Int
    public var vectorLength: Int

    public init(runID: String, round: Int, graph: CommunicationGraph, threshold: Int, vectorLength: Int) throws(SecAggError) {
        let neighbourhood = graph.degree + 1
        guard graph.count >= 2 else { throw .invalidConfiguration("secure aggregation needs at least 2 hospitals, got \(graph.count)") }
        guard threshold * 2 > neighbourhood, threshold <= neighbourhood else {
            throw .invalidConfiguration("threshold t = \(threshold) must be in \(neighbourhood / 2 + 1)…\(neighbourhood) "
                                        + "(more than half of each neighbourhood of \(neighbourhood))")
        }
        guard vectorLength >= 1 else { throw .invalidConfiguration("input length \(vectorLength) must be ≥ 1") }
        self.runID = runID
        self.round = round
        self.graph = graph
        self.threshold = threshold
        self.vectorLength = vectorLength
    }

    /// The smallest secure threshold for a graph: ⌊(k + 1)/2⌋ + 1.
    public static func defaultThreshold(for graph: CommunicationGraph) -> Int { (graph.degree + 1) / 2 + 1 }

    public var participants: [UInt32] { graph.count > 0 ? Array(1...UInt32(graph.count)) : [] }

    /// Whether `id` is one of the session's participants (1…n), without building the list.
    public func includes(_ id: UInt32) -> Bool { id >= 1 && Int(id) <= graph.count }

    /// The parameters' bytes in the session id.
    var canonicalBytes: [UInt8] {
        [UInt32(graph.count), UInt32(graph.degree), UInt32(threshold), UInt32(vectorLength)]
            .flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
    }
}
