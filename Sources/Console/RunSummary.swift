import Federation
import Foundation

/// The run's final figures in plain words: how it ended and after how many rounds, the final
/// accuracy beside what always answering the majority class scores, the privacy budget each
/// hospital spent against its budget, the settings at the end with every change made (and when),
/// and where the model and report are. The console prints it when the terminal is restored and the
/// presenter's final screen shows it.
///
/// Contract: every figure is one the model received from the engine (nothing is re-derived or
/// rounded up into a claim): ε is the ledgers' figure to two decimals, rounded up so a spend is
/// never under-stated; a figure the run never reported reads `–`.
public struct RunSummary: Sendable, Equatable {
    public var headline: String
    public var lines: [String]

    // Unoptimised: Swift 6.3.1's release build crashes in CopyPropagation on this initialiser
    // ("Found outside of lifetime use?!", an ownership-verifier failure); it runs once per run.
    @_optimize(none)
    public init(_ m: DashboardModel, directory: String? = nil) {
        let done = m.lastCompletedRound
        let planned = m.plannedRounds
        switch m.outcome {
        case .finished?: headline = "finished: \(done) of \(planned) rounds"
        case .budgetExhausted?: headline = "stopped at the privacy budget after round \(done) of \(planned)"
        case .stopped?: headline = "stopped by the operator after round \(done) of \(planned)"
        case .failed?: headline = "failed after round \(done) of \(planned)"
        case .diverged?: headline = "stopped after round \(done) of \(planned): the model diverged"
        case nil: headline = "left during round \(done + 1) of \(planned)"
        }
        var lines: [String] = []
        let accuracy = m.points.last { $0.accuracy != nil }?.accuracy
        var acc = "accuracy " + (accuracy.map { fmt($0, 3) } ?? "–")
        if let b = m.facts.majorityBaseline {
            acc += " (always answering the most common diagnosis scores \(fmt(b, 3))"
            if let a = accuracy { acc += a > b ? ", +\(fmt((a - b) * 100, 1)) points" : ", the model does not beat it" }
            acc += ")"
        }
        lines.append(acc)
        if m.privacyOn {
            let budget = m.epsilonBudget.flatMap { $0.isFinite ? " / \(fmt($0))" : nil } ?? ""
            let delta = m.delta.map { ", δ \(fmtDelta($0))" } ?? ""
            var parties = m.hospitals.map { h in "\(h.name) " + (h.epsilon.map { Self.up($0) } ?? "–") + budget }
            if m.clientLevel, let f = m.federationEpsilon { parties.append("federation \(Self.up(f))\(budget)") }
            lines.append("privacy budget spent (ε\(delta)): " + parties.joined(separator: ", "))
        } else {
            lines.append("privacy: off — no differential privacy; the updates carry no noise")
        }
        var settings: [String] = []
        if let s = m.noiseMultiplier, m.privacyOn { settings.append("noise σ \(fmt(s))") }
        if let c = m.clipNorm, m.privacyOn { settings.append("clip C \(fmt(c))") }
        if let lr = m.learningRate { settings.append("learning rate \(fmtRate(lr))") }
        if !settings.isEmpty { lines.append("settings at the end: " + settings.joined(separator: ", ")) }
        if m.changes.isEmpty {
            lines.append("changed during the run: nothing")
        } else {
            lines.append("changed during the run: " + m.changes.map { c in
                let name = switch c.setting { case .noise: "σ"; case .clip: "C"; case .learningRate: "lr" }
                let value = c.setting == .learningRate ? fmtRate(c.value) : fmt(c.value)
                let from = c.previous.map { c.setting == .learningRate ? fmtRate($0) : fmt($0) }
                return "\(name) \(from.map { "\($0) → " } ?? "")\(value) from round \(c.round)"
            }.joined(separator: "; "))
        }
        if let directory { lines.append("model, checkpoints and report: \(directory)") }
        self.lines = lines
    }

    /// ε to two decimals, rounded up: the summary never states less than was spent.
    public static func up(_ e: Double) -> String {
        guard e.isFinite else { return "∞" }
        // Up, past float noise (0.4 × 3 is 1.2000000000000002, which is 1.20, not 1.21).
        guard e > 0 else { return fmt(0) }
        let cents = max(1, (e * 100 - 1e-7).rounded(.up) + 0.0)
        return fmt(cents / 100)
    }
}

/// A learning rate to three significant figures, trailing zeros off (0.05, 0.0455; not 0.04545454).
func fmtRate(_ r: Double) -> String {
    guard r.isFinite, r > 0 else { return fmt(r) }
    return String(format: "%.3g", r)
}

func fmtDelta(_ d: Double) -> String {
    String(format: "%g", d)
}

/// An ε spent or projected, to two decimals rounded up: what fedtop shows is never less than the
/// ledgers hold (a budget is shown as it is, with ``fmt(_:_:)``).
func fmtEpsilon(_ e: Double) -> String { RunSummary.up(e) }
