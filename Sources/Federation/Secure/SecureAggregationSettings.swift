import SecureAggregation

/// How a run aggregates securely (``EngineConfiguration/secureAggregation``).
///
/// Contract: ``problem`` names the first setting out of range; the engine also refuses robust
/// strategies (they need individual updates), adaptive clipping, hospitals that cannot take part,
/// and parameters whose 32-bit sum could wrap, before the first round.
public struct SecureAggregationSettings: Sendable, Equatable {
    /// b: 2^b quantisation levels per coordinate.
    public var bits: Int
    /// c: each (weighted) coordinate is clipped to [−c, c] before quantisation. Under client-level DP
    /// it is the clip norm S (a coordinate never exceeds the norm).
    public var clipRange: Double
    /// Seconds each of the share, masked-input and unmasking phases waits before counting the
    /// missing hospitals as dropped (key advertisement waits for training, the round's deadline).
    public var phaseTimeout: Double
    /// Hospitals from which the sparse SecAgg+ graph replaces the complete one.
    public var sparseFrom: Int

    public init(bits: Int = 16, clipRange: Double = 1, phaseTimeout: Double = 30, sparseFrom: Int = CommunicationGraph.sparseFrom) {
        self.bits = bits
        self.clipRange = clipRange
        self.phaseTimeout = phaseTimeout
        self.sparseFrom = sparseFrom
    }

    public var problem: String? {
        if !(2...31).contains(bits) { return "secure aggregation: quantisation bits \(bits) must be in 2…31" }
        if !(clipRange > 0 && clipRange.isFinite) { return "secure aggregation: range \(clipRange) must be a positive number" }
        if !(phaseTimeout > 0) { return "secure aggregation: phase timeout \(phaseTimeout) s must be > 0" }
        if sparseFrom < 3 { return "secure aggregation: the sparse graph needs at least 3 hospitals, got \(sparseFrom)" }
        return nil
    }

    /// The graph for `n` hospitals: complete below ``sparseFrom``, SecAgg+'s Harary graph above.
    public func graph(for n: Int) -> CommunicationGraph {
        guard n >= sparseFrom else { return .complete(n) }
        let k = CommunicationGraph.forFederation(max(n, CommunicationGraph.sparseFrom)).degree
        return (try? CommunicationGraph.harary(n, degree: min(k, n - 1 - (n - 1) % 2))) ?? .complete(n)
    }
}

/// The secure-aggregation phase the console shows, with the count of hospitals at each step so far.
public struct SecureAggregationStatus: Sendable, Equatable, Codable {
    public enum Stage: String, Sendable, Codable {
        case advertise, share, masked, unmask, done, aborted
    }
    public var stage: Stage
    public var selected: Int
    public var threshold: Int
    /// `complete` or `harary k=…`.
    public var graph: String
    /// Hospitals that completed each step: keys advertised, shares sent, masked input sent, unmasked.
    public var counts: [Int]
    /// Why the round aborted, or what was recovered.
    public var detail: String?

    public init(stage: Stage, selected: Int, threshold: Int, graph: String, counts: [Int], detail: String? = nil) {
        self.stage = stage
        self.selected = selected
        self.threshold = threshold
        self.graph = graph
        self.counts = counts
        self.detail = detail
    }

    /// `keys 5 → shares 5 → masked 4 → unmasked 4`.
    public var flow: String {
        let words = ["keys", "shares", "masked", "unmasked"]
        return zip(words, counts).map { "\($0) \($1)" }.joined(separator: " → ")
    }
}
