import Foundation

extension AuditSections {
    /// Federated dropout (Caldas et al. 2018) against the full model: accuracy on the hold-out and the
    /// model bytes each round moved, each cell a mean ± sd over the seeds.
    static func dropout(_ trials: [AuditTrial.Outcome], plan: AuditSweepPlan) -> ReportSection {
        var order: [String] = []
        var groups: [String: [AuditTrial.Outcome]] = [:]
        for t in trials {
            let key = epsilonLabel(t.setting) + "|" + number(t.setting.federatedDropout ?? 1)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(t)
        }
        // Each ε's full-model bytes, for the saving column.
        var fullBytes: [String: Double] = [:]
        for key in order {
            let g = groups[key]!
            if g[0].setting.federatedDropout == nil { fullBytes[epsilonLabel(g[0].setting)] = mean(g.map(\.bytesPerRound)) }
        }
        var rows: [[String]] = []
        for key in order {
            let g = groups[key]!, s = g[0].setting
            let bytes = mean(g.map(\.bytesPerRound))
            let saving = fullBytes[epsilonLabel(s)].map { $0 > 0 ? String(format: "%.2f×", bytes / $0) : "—" } ?? "—"
            rows.append(["ε=\(epsilonLabel(s))", number(s.federatedDropout ?? 1), "\(g.count)",
                         String(format: "%.3f", mean(g.map(\.keptFraction))), meanSD(g.map(\.accuracy)),
                         String(format: "%.1f kB", bytes / 1000), saving])
        }
        let b = plan.base
        return ReportSection(
            title: "Federated dropout: accuracy and bytes per round",
            paragraphs: [
                "Each round the aggregator draws one sub-model for every selected hospital: it keeps the given share of every "
                    + "hidden layer's units (neurons, convolution filters), chosen at random from the run's seed and the round. "
                    + "Hospitals receive and return only the sub-model's parameters (4 bytes each, each way; the bytes below are "
                    + "the model exchange of all \(b.hospitals) hospitals per round, before transport framing); the aggregate is "
                    + "mapped back and the dropped units do not move that round. Under DP-SGD the sub-model's gradient is "
                    + "clipped and noised as a whole, so ε is charged exactly as for the full model.",
                "Accuracy is on the central hold-out after \(b.rounds) rounds. Each cell is the mean ± sample standard "
                    + "deviation over \(plan.robustnessSeeds) seed(s) (data split, initialisation, batches, masks and noise all "
                    + "change with the seed).",
            ],
            tables: [ReportTable(name: "dropout", caption: "Accuracy and bytes per round by kept share and DP budget",
                                 columns: ["DP", "kept share of units", "seeds", "parameters sent (share)", "accuracy",
                                           "model bytes per round", "bytes vs full model"],
                                 rows: rows)],
            charts: [])
    }

    static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }
}
