/// Why an audit step could not run. Messages name what was wrong, so a user can act on them.
public enum AuditError: Error, Equatable, CustomStringConvertible {
    /// The attack's inputs are unusable (empty sets, mismatched shapes, NaN scores).
    case invalidInput(String)
    /// The attack does not apply to this data or model (a pixel trigger on tabular records).
    case notApplicable(String)
    /// The report could not be written.
    case report(String)

    public var description: String {
        switch self {
        case .invalidInput(let m): "invalid audit input: \(m)"
        case .notApplicable(let m): "not applicable: \(m)"
        case .report(let m): "report not written: \(m)"
        }
    }
}
