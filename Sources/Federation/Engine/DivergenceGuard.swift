import Foundation

/// Watches the rounds for a run that has stopped learning and started blowing up: a loss that is not
/// finite, a loss that explodes, or a round in which every update that came back was rejected. The
/// engine then restores the global model of the round before, and pauses the run (on a console, with
/// a warning) or ends it with ``RunOutcome/diverged`` (headless: a distinct non-zero exit), never
/// "finished".
///
/// Contract:
/// - A cross-entropy model that knows nothing scores ln K on K classes; an eval or train loss above
///   ``explosionFactor`` × max(ln K, the lowest eval loss seen) is an explosion. Noise from DP makes
///   losses wander, but not by an order of magnitude above chance — that is a model that has left
///   the region it can learn from (client-level noise too large for the federation, a learning rate
///   too high).
/// - A round whose every answered update was refused by validation (non-finite, oversized, outliers),
///   with at least one update answered, is diverged too: nothing can be aggregated and the next round
///   starts from the same place with the same settings.
/// - Only rounds with two or more answers (and at least the quorum) count as all-rejected, and only in
///   the clear: under secure aggregation the engine never sees a single update to reject.
/// - The engine also puts back the strategy's server state (FedOpt's moments, an adaptive clip norm)
///   of the round before, so a resumed run does not carry the blow-up.
/// - Pure: the engine feeds it each round and reads its verdict.
public struct DivergenceGuard: Sendable, Equatable {
    /// How far above chance (or the best loss so far) a loss may go before the run is called diverged.
    public static let explosionFactor = 10.0

    /// ln K for K classes: the loss of a model that spreads its belief evenly.
    public let chanceLoss: Double
    /// The lowest finite eval loss seen so far.
    public private(set) var bestLoss: Double?

    public init(classes: Int) {
        chanceLoss = log(Double(max(2, classes)))
    }

    /// The loss above which a round is called an explosion.
    public var explosionThreshold: Double { Self.explosionFactor * max(chanceLoss, bestLoss ?? chanceLoss) }

    /// Why the round diverged, or nil; remembers the round's eval loss when it did not.
    public mutating func verdict(trainLoss: Double?, evalLoss: Double?) -> String? {
        let limit = explosionThreshold
        if let t = trainLoss, !t.isFinite { return "the training loss is not finite (\(t))" }
        if let e = evalLoss, !e.isFinite { return "the evaluation loss is not finite (\(e))" }
        if let e = evalLoss, e > limit {
            return "the evaluation loss exploded to \(Self.format(e)) (above \(Self.format(limit)), \(Int(Self.explosionFactor))× "
                + (bestLoss.map { $0 > chanceLoss ? "the lowest so far" : "chance" } ?? "chance") + ")"
        }
        if let t = trainLoss, t > limit {
            return "the training loss exploded to \(Self.format(t)) (above \(Self.format(limit)))"
        }
        if let e = evalLoss { bestLoss = min(bestLoss ?? e, e) }
        return nil
    }

    /// Why a round with `answered` updates of which `rejected` were refused diverged, or nil.
    public static func allRejected(answered: Int, rejected: Int) -> String? {
        guard answered > 0, rejected >= answered else { return nil }
        return "every update this round (\(rejected) of \(answered)) was rejected; nothing could be aggregated"
    }

    static func format(_ x: Double) -> String {
        x.magnitude >= 1e5 ? String(format: "%.3g", x) : String(format: "%.4g", x)
    }
}
