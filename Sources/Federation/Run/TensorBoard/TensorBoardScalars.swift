/// What a run writes to TensorBoard for each engine event (``TensorBoardEvents``), at the round as step:
///
/// - a completed round: `global/train_loss`, `global/eval_loss`, `global/accuracy`, `global/auc`,
///   `central/…` for the hold-out, `round/seconds`, `round/bytes`, `round/kept_fraction`,
///   `round/aggregated`, `round/rejected`, the privacy settings in force (`privacy/sigma`, `privacy/clip`)
///   so that a change mid-run shows as a step, `privacy/federation_epsilon` and
///   `hospital/NAME/epsilon` for each hospital;
/// - an update received: `hospital/NAME/train_loss`, `hospital/NAME/clipped_fraction`,
///   `hospital/NAME/seconds`;
/// - a command applied: a text summary `commands` with the engine's answer.
///
/// Contract: only finite values are written (a NaN loss is left out, not plotted as a spike); tags
/// keep a hospital's name as it is (TensorBoard groups by the part before the first `/`).
public enum TensorBoardScalars {
    public static func scalars(for event: EngineEvent) -> [(tag: String, value: Double)] {
        var out: [(tag: String, value: Double)] = []
        func add(_ tag: String, _ value: Double?) {
            if let value, value.isFinite { out.append((tag, value)) }
        }
        switch event.kind {
        case .roundCompleted(let s):
            add("global/train_loss", s.trainLoss)
            add("global/eval_loss", s.evaluation?.loss)
            add("global/accuracy", s.evaluation?.accuracy)
            add("global/auc", s.evaluation?.auc)
            add("central/eval_loss", s.centralEvaluation?.loss)
            add("central/accuracy", s.centralEvaluation?.accuracy)
            add("round/seconds", s.seconds)
            add("round/aggregated", Double(s.aggregated))
            add("round/rejected", s.rejected.map(Double.init))
            if let c = s.communication, c.problem == nil {
                add("round/bytes", Double(c.bytesDown + c.bytesUp))
                add("round/kept_fraction", c.keptFraction)
            }
            add("privacy/sigma", s.noiseMultiplier)
            add("privacy/clip", s.clipNorm)
            add("privacy/federation_epsilon", s.federationEpsilon)
            for name in s.hospitalEpsilon.keys.sorted() { add("hospital/\(name)/epsilon", s.hospitalEpsilon[name]) }
        case let .updateReceived(hospital, trainLoss, clippedFraction, _, seconds):
            add("hospital/\(hospital)/train_loss", trainLoss)
            add("hospital/\(hospital)/clipped_fraction", clippedFraction)
            add("hospital/\(hospital)/seconds", seconds)
        default:
            break
        }
        return out
    }

    /// The text summary of an event, if it has one: the engine's answer to a command.
    public static func text(for event: EngineEvent) -> (tag: String, text: String)? {
        if case let .commandApplied(command, effect) = event.kind { return ("commands", "\(command): \(effect)") }
        return nil
    }
}
