import Foundation

extension AuditSections {
    /// One robustness federation: its setting, and its clean, FGSM and PGD accuracy on its non-member
    /// hold-out at each perturbation size.
    struct RobustnessTrial {
        var setting: AuditTrial.Setting
        var accuracy: Double
        var evasion: [EvasionResult]
    }

    /// "mean ± sd" over seeds (sample sd; just the mean for one seed).
    static func meanSD(_ xs: [Double]) -> String {
        guard !xs.isEmpty else { return "—" }
        let mean = xs.reduce(0, +) / Double(xs.count)
        guard xs.count > 1 else { return String(format: "%.3f", mean) }
        let sd = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)).squareRoot()
        return String(format: "%.3f ± %.3f", mean, sd)
    }

    /// Adversarial training against evasion, with and without DP: the robustness/utility trade-off
    /// (clean accuracy against FGSM and PGD accuracy), each cell a mean ± sd over the seeds.
    static func robustness(_ trials: [RobustnessTrial], plan: AuditSweepPlan) -> ReportSection {
        // Groups in the sweep's order: (ε, training), each with its seeds.
        var order: [String] = []
        var groups: [String: [RobustnessTrial]] = [:]
        for t in trials {
            let key = epsilonLabel(t.setting) + "|" + (t.setting.adversarial?.spec ?? "clean")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(t)
        }
        let attacked = plan.perturbations.filter { $0 > 0 }
        let attacks = trials.first.map { Array(Set($0.evasion.map(\.attack))).sorted() } ?? []
        var rows: [[String]] = []
        var series: [ChartSeries] = []
        for key in order {
            let g = groups[key]!, s = g[0].setting
            let training = s.adversarial.map { "\($0.spec) (\(Int(($0.ratio * 100).rounded())) %)" } ?? "clean"
            for attack in attacks {
                var row = ["ε=\(epsilonLabel(s))", training, "\(g.count)", meanSD(g.map(\.accuracy)), attack]
                var points: [ChartPoint] = []
                for p in attacked {
                    let values = g.compactMap { t in t.evasion.first { $0.attack == attack && $0.epsilon == p }?.accuracy }
                    row.append(meanSD(values))
                    if !values.isEmpty { points.append(ChartPoint(x: p, y: values.reduce(0, +) / Double(values.count))) }
                }
                rows.append(row)
                if attack.hasPrefix("pgd") { series.append(ChartSeries(label: "ε=\(epsilonLabel(s)), \(s.adversarial?.spec ?? "clean")", points: points)) }
            }
        }
        let trainings = plan.adversarialTrainings.map { "\($0.spec) on \(Int(($0.ratio * 100).rounded())) % of each batch's records" }
        return ReportSection(
            title: "Robustness: adversarial training, with and without DP",
            paragraphs: [
                "Each hospital trains on clean batches or on adversarial examples made at every step from its current model "
                    + "(\(trainings.isEmpty ? "none asked for" : trainings.joined(separator: "; "))), inside DP-SGD: every record is "
                    + "replaced by its example, never joined, so each step is the same subsampled Gaussian mechanism and ε is "
                    + "charged exactly as for clean training. Clean, FGSM and PGD (10 steps, random start) accuracy are on the "
                    + "same non-member hold-out, perturbations (L∞) in standard deviations of each feature.",
                "Each cell is the mean ± sample standard deviation over \(plan.robustnessSeeds) seed(s) (data split, "
                    + "initialisation, batches and noise all change with the seed).",
            ],
            tables: [ReportTable(name: "robustness", caption: "Clean and robust accuracy by training and DP budget",
                                 columns: ["DP", "training", "seeds", "clean accuracy", "attack"] + attacked.map { "L∞ \(number($0))" },
                                 rows: rows)],
            charts: [ReportChart(name: "robustness-chart", title: "PGD accuracy against perturbation size (mean over seeds)",
                                 xLabel: "L∞ perturbation (standard deviations)", yLabel: "accuracy", yRange: 0...1, series: series)])
    }
}
