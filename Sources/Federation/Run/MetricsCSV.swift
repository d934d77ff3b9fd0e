/// The run's `metrics.csv`: one row per completed round.
public enum MetricsCSV {
    public static let header = "round,selected,aggregated,train_loss,eval_loss,eval_accuracy,eval_auc,central_loss,"
        + "central_accuracy,epsilon_hospital_max,epsilon_federation,noise_multiplier,clip_norm,seconds,rejected"

    public static func row(_ s: RoundSummary) -> String {
        func f(_ x: Double?, _ digits: Int = 6) -> String {
            guard let x else { return "" }
            return x.isFinite ? String(format: "%.\(digits)g", x) : "inf"
        }
        return [String(s.round), String(s.selected), String(s.aggregated), f(s.trainLoss), f(s.evaluation?.loss),
                f(s.evaluation?.accuracy), f(s.evaluation?.auc), f(s.centralEvaluation?.loss), f(s.centralEvaluation?.accuracy),
                f(s.hospitalEpsilon.values.max()), f(s.federationEpsilon), f(s.noiseMultiplier), f(s.clipNorm),
                f(s.seconds, 4), s.rejected.map(String.init) ?? ""].joined(separator: ",")
    }
}
