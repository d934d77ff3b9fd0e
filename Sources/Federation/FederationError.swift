/// Errors of the federation engine's set-up; each says what was wrong.
public enum FederationError: Error, Equatable, CustomStringConvertible {
    /// A configuration that cannot run, with the reason.
    case configuration(String)
    /// A file of the run (ledger, metrics, checkpoint) could not be used.
    case runFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .configuration(let reason): reason
        case let .runFile(path, reason): "\(path): \(reason)"
        }
    }
}
