import Federation
import Foundation

/// The headless output: one line per round (round, losses, accuracy, ε per hospital and for the
/// federation), a line for each event an operator must see, or every event as JSON with `--json`.
struct HeadlessPrinter: Sendable {
    let rounds: Int
    let json: Bool
    let budget: Double?
    let seeded: Bool
    let hospitals: Int

    func handle(_ e: EngineEvent) {
        if json {
            print(EventJSON.line(e))
            if !e.isProgress { fflush(nil) }
            return
        }
        guard let line = text(e) else { return }
        print(line)
        fflush(nil)
    }

    func text(_ e: EngineEvent) -> String? {
        switch e.kind {
        case .roundCompleted(let s): return roundLine(s)
        case .roundFailed(let reason): return "round \(e.round)/\(rounds)  FAILED: \(reason)"
        case let .updateRejected(h, reason): return "  \(h): update rejected: \(reason)"
        case let .hospitalDropped(h, reason): return "  \(h) dropped from round \(e.round): \(reason)"
        case let .hospitalConnection(h, connected, detail):
            return connected ? "  \(h): attached again" : "  \(h): offline (\(detail)); attaching again when it answers"
        case let .hospitalBudgetExhausted(h, spent, budget):
            return String(format: "  %@: privacy budget exhausted (ε %.3f of %.3f); it trains no more", h, spent, budget)
        case let .federationBudgetExhausted(spent, budget):
            return String(format: "fedtop: the federation's privacy budget is spent (ε %.3f of %.3f)", spent, budget)
        case let .commandApplied(_, effect): return "  command: \(effect)"
        case let .commandRefused(c, reason): return "  command refused (\(c)): \(reason)"
        case .warning(let w): return "  warning: \(w)"
        case .secureAggregation(let sa) where sa.stage == .done && sa.detail != nil:
            return "  secure aggregation: \(sa.flow) (\(sa.detail!))"
        case .runFinished(let outcome):
            switch outcome {
            case .finished: return "fedtop: finished"
            case .stopped: return "fedtop: stopped by the operator"
            case .budgetExhausted: return "fedtop: stopped at the privacy budget"
            case .failed: return "fedtop: failed: no round completed"
            case .diverged: return "fedtop: stopped: the model diverged (exit 4); see the warning above"
            }
        default: return nil
        }
    }

    func roundLine(_ s: RoundSummary) -> String {
        var line = String(format: "round %d/%d  train loss %.4f", s.round, rounds, s.trainLoss)
        if let ev = s.evaluation {
            line += String(format: "  eval loss %.4f  accuracy %.4f", ev.loss, ev.accuracy)
            if let auc = ev.auc { line += String(format: "  AUC %.3f", auc) }
        }
        if let central = s.centralEvaluation {
            line += String(format: "  central accuracy %.4f", central.accuracy)
        }
        let label = seeded ? "ε(seeded)" : "ε"
        let b = budget.map { String(format: " / %.2f", $0) } ?? ""
        if !s.hospitalEpsilon.isEmpty {
            let values = s.hospitalEpsilon.sorted { $0.key.localizedStandardCompare($1.key) == .orderedAscending }.map(\.value)
            if values.count <= 8 {
                line += "  \(label) [" + values.map { String(format: "%.2f", $0) }.joined(separator: " ") + "]" + b
            } else {
                line += String(format: "  %@ max %.2f min %.2f", label, values.max()!, values.min()!) + b
            }
        }
        if let f = s.federationEpsilon { line += String(format: "  federation %@ %.2f", label, f) + b }
        if s.aggregated < s.selected { line += "  (\(s.aggregated) of \(s.selected) updates)" }
        line += String(format: "  %.1f s", s.seconds)
        return line
    }
}
