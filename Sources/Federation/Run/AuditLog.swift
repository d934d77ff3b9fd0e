import Foundation

/// The run's `audit.jsonl`: what a reviewer needs to reconstruct who did what — the configuration,
/// every command (applied or refused), hospitals joining and dropping, rejected updates, budget
/// events and explicit budget changes. Never records, never raw updates: only the events' own
/// aggregate fields.
public enum AuditLog {
    /// Whether an engine event belongs in the audit log.
    public static func includes(_ event: EngineEvent) -> Bool {
        switch event.kind {
        case .runStarted, .roundStarted, .commandApplied, .commandRefused, .hospitalDropped, .hospitalConnection, .updateRejected,
             .hospitalBudgetExhausted, .federationBudgetExhausted, .roundFailed, .warning, .runFinished,
             .checkpointWritten:
            return true
        case .secureAggregation(let status):
            // How each secure round ended (its counts and any abort), not each phase.
            return status.stage == .done || status.stage == .aborted
        case .phaseChanged, .progress, .updateReceived, .roundCompleted, .influence, .membershipAudit:
            return false
        }
    }

    /// An entry that is not an engine event (a budget raised at start, a resume), as one JSON line.
    public static func entry(_ action: String, details: [String: String]) -> String {
        var object = details
        object["action"] = action
        object["wallTime"] = String(Date().timeIntervalSince1970)
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
