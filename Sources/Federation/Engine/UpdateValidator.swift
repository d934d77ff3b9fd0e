import TensorCore

/// Checks every update before aggregation: its round, length and record count (bounded by what the
/// hospital announced), that every value and metric is finite and in range, and its L2 norm against
/// the operator's bound and the automatic one (``UpdateNormBound``). A rejected update becomes an
/// event with the reason, never a crash.
public struct UpdateValidator: Sendable {
    /// The length every update must have (under federated dropout, the round's sub-model's).
    public var parameterCount: Int
    /// Updates with a larger L2 norm are rejected (nil: no fixed bound; the automatic one still applies).
    public var maxNorm: Double?

    public init(parameterCount: Int, maxNorm: Double? = nil) {
        self.parameterCount = parameterCount
        self.maxNorm = maxNorm
    }

    /// Why `update` must not be aggregated, or nil when it may.
    /// - Parameters:
    ///   - records: the training records its hospital announced (the most its update may claim).
    ///   - settings: the round's settings, for the DP-SGD norm bound (nil: none from the settings).
    public func problem(with update: HospitalUpdate, round: Int, records: Int? = nil, settings: RoundSettings? = nil) -> String? {
        check(update, round: round, records: records, settings: settings).problem
    }

    /// ``problem(with:round:records:settings:)``, with the update's L2 norm (`delta.norm()`, computed
    /// once every value is known finite), so that the aggregator need not make a second pass over it.
    public func check(_ update: HospitalUpdate, round: Int, records: Int? = nil,
                      settings: RoundSettings? = nil) -> (problem: String?, norm: Double?) {
        var norm: Double?
        let problem = checkProblem(update, round: round, records: records, settings: settings, norm: &norm)
        return (problem, norm)
    }

    private func checkProblem(_ update: HospitalUpdate, round: Int, records: Int?, settings: RoundSettings?,
                              norm computed: inout Double?) -> String? {
        computed = nil
        if update.round != round { return "update is for round \(update.round), not \(round)" }
        if update.delta.count != parameterCount {
            return "update has \(update.delta.count) values, the model has \(parameterCount)"
        }
        if update.sampleCount < 1 { return "update claims \(update.sampleCount) records" }
        if let records, update.sampleCount > records {
            return "update claims \(update.sampleCount) records; the hospital holds \(records)"
        }
        if !(update.trainLoss.isFinite && update.trainLoss >= 0) { return "training loss \(update.trainLoss) is not a finite number ≥ 0" }
        if !(0...1).contains(update.clippedFraction) { return "clipped fraction \(update.clippedFraction) outside [0, 1]" }
        if let e = update.epsilonSpent, !(e.isFinite && e >= 0) { return "ε spent \(e) is not a finite number ≥ 0" }
        // One pass for both checks: Σx² in Double over Float values cannot overflow (at most (3.4·10³⁸)²·2⁶³ <
        // 1.8·10³⁰⁸), so it is finite exactly when every value is.
        let squared = update.delta.squaredNorm()
        guard squared.isFinite else { return "update has non-finite values (NaN or ∞)" }
        let norm = squared.squareRoot()  // bit for bit `delta.norm()`
        computed = norm
        var bound = maxNorm
        if let settings, let records,
           let derived = UpdateNormBound.samplePrivacy(settings: settings, records: records, parameters: parameterCount) {
            bound = min(bound ?? .infinity, derived)
        }
        if let bound, !(norm <= bound) {
            return "update norm \(String(format: "%.4g", norm)) exceeds the bound \(String(format: "%.4g", bound))"
        }
        return nil
    }
}
