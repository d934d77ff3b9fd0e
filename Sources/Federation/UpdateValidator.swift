import TensorCore

/// Checks every update before aggregation: its length, that every value is finite, and (when a
/// bound is set) its L2 norm. A rejected update becomes an event with the reason, never a crash.
public struct UpdateValidator: Sendable {
    public let parameterCount: Int
    /// Updates with a larger L2 norm are rejected (nil: no bound).
    public var maxNorm: Double?

    public init(parameterCount: Int, maxNorm: Double? = nil) {
        self.parameterCount = parameterCount
        self.maxNorm = maxNorm
    }

    /// Why `update` must not be aggregated, or nil when it may.
    public func problem(with update: HospitalUpdate, round: Int) -> String? {
        if update.round != round { return "update is for round \(update.round), not \(round)" }
        if update.delta.count != parameterCount {
            return "update has \(update.delta.count) values, the model has \(parameterCount)"
        }
        if update.sampleCount < 1 { return "update claims \(update.sampleCount) records" }
        if !update.delta.isFinite { return "update has non-finite values (NaN or ∞)" }
        if let maxNorm {
            let norm = Double(update.delta.norm())
            if norm > maxNorm { return "update norm \(String(format: "%.4g", norm)) exceeds the bound \(maxNorm)" }
        }
        return nil
    }
}
