/// The round state machine the console shows, one state at a time.
///
/// idle → selecting → broadcasting → training(k of n) → collecting → aggregating → evaluating →
/// checkpointing → (next round: selecting | paused | finished | budget exhausted | failed).
public enum RoundPhase: Sendable, Equatable, Codable, CustomStringConvertible {
    case idle
    case selecting
    case broadcasting
    /// `reported` of `selected` hospitals have answered.
    case training(reported: Int, selected: Int)
    case collecting
    case aggregating
    case evaluating
    case checkpointing
    case paused
    case budgetExhausted
    case finished
    case failed

    /// The words the console shows: `TRAINING 4/5`, `AGGREGATING`, `BUDGET EXHAUSTED`.
    public var description: String {
        switch self {
        case .idle: "IDLE"
        case .selecting: "SELECTING"
        case .broadcasting: "BROADCASTING"
        case let .training(k, n): "TRAINING \(k)/\(n)"
        case .collecting: "COLLECTING"
        case .aggregating: "AGGREGATING"
        case .evaluating: "EVALUATING"
        case .checkpointing: "CHECKPOINTING"
        case .paused: "PAUSED"
        case .budgetExhausted: "BUDGET EXHAUSTED"
        case .finished: "FINISHED"
        case .failed: "FAILED"
        }
    }

    /// Whether the run is over.
    public var isTerminal: Bool { self == .finished || self == .failed || self == .budgetExhausted }
}
