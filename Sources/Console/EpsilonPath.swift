import Federation

/// The ε a run will have spent after each remaining round at given settings — the path the ε chart
/// draws after the spent rounds — asked of a ``PrivacyProjection`` round by round.
///
/// Contract: the projection answers the final ε of a run that ends after round t; asking it for
/// t = completed+1 … planned gives the path exactly. With more rounds left than `samples`, it is
/// asked every few rounds and each round in between is given the value of the next round asked:
/// ε never falls as rounds are added, so the path over-states ε there, never under-states it.
public enum EpsilonPath {
    /// Points (round, ε) from the round after `completedRound` to `plannedRounds`; empty without DP
    /// or with no round left.
    public static func project(_ projection: any PrivacyProjection, noiseMultiplier: Double, clipNorm: Double,
                               completedRound: Int, plannedRounds: Int, samples: Int = 30) -> [EpsilonPoint] {
        let remaining = plannedRounds - completedRound
        guard remaining > 0, samples > 0 else { return [] }
        let step = (remaining + samples - 1) / samples
        var asked: [Int] = Array(stride(from: completedRound + step, to: plannedRounds, by: step)) + [plannedRounds]
        asked = asked.filter { $0 > completedRound }
        var values: [Int: Double] = [:]
        for t in asked {
            guard let f = projection.forecast(noiseMultiplier: noiseMultiplier, clipNorm: clipNorm, completedRound: completedRound,
                                              plannedRounds: t) else { return [] }
            values[t] = f.finalEpsilon
        }
        var out: [EpsilonPoint] = []
        var next = 0
        for r in (completedRound + 1)...plannedRounds {
            while asked[next] < r { next += 1 }
            out.append(EpsilonPoint(round: r, epsilon: values[asked[next]]!))
        }
        return out
    }
}

/// The headline ε (the highest any party has spent, or will have) after a round.
public struct EpsilonPoint: Sendable, Equatable {
    public var round: Int
    public var epsilon: Double

    public init(round: Int, epsilon: Double) {
        self.round = round
        self.epsilon = epsilon
    }
}
