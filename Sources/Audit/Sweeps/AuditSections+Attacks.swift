import Datasets
import Foundation
import TensorCore

extension AuditSections {
    /// Membership inference against one model (`fedtop audit --run`).
    static func membership(_ results: [MembershipInferenceResult], accuracy: Double, epsilon: Double?, privacy: String) -> ReportSection {
        let rows = results.map { r in
            [r.attack, r.target, f3(r.auc), f3(r.tprAt1Percent), f3(r.tprAtTenthPercent), f3(r.roc.bestAccuracy), "\(r.roc.members)"]
        }
        return ReportSection(
            title: "Membership inference",
            paragraphs: [String(format: "The model's accuracy on the non-members is %.3f (DP %@%@). ", accuracy, privacy,
                                epsilon.map { ", ε budget \(number($0))" } ?? "")
                         + "An AUC of 0.5 means the attacker cannot tell members from non-members; the TPR at a 0.1 % FPR is how many "
                         + "members it names with almost no false accusation (Carlini et al. 2022)."],
            tables: [ReportTable(name: "membership", caption: "Membership-inference attacks",
                                 columns: ["attack", "model", "AUC", "TPR @ 1% FPR", "TPR @ 0.1% FPR", "best accuracy", "members"], rows: rows)],
            charts: [ReportChart(name: "membership-roc", title: "ROC on log axes (chance is the diagonal)", xLabel: "false-positive rate",
                                 yLabel: "true-positive rate", xScale: .log, yScale: .log, xRange: 1e-3...1, yRange: 1e-3...1, diagonal: true,
                                 series: results.map { ChartSeries(label: "\($0.attack) (\($0.target))", points: $0.roc.thinned()) })])
    }

    /// FGSM and PGD accuracy against perturbation size for one model.
    static func evasion(model: Sequential, test: Dataset, perturbations: [Double], seed: UInt64, name: String,
                        log: (String) -> Void) throws -> ReportSection {
        log("evasion: FGSM and PGD at \(perturbations.count) perturbation sizes on \(test.count) records")
        let results = evasionCurves(model: model, test: test, perturbations: perturbations, seed: seed)
        return ReportSection(
            title: "Evasion",
            paragraphs: ["FGSM (Goodfellow et al. 2015) and PGD with 10 steps and a random start (Madry et al. 2018), L∞ perturbations in "
                         + "the model's input space (standardised features: 0.1 is a tenth of each feature's standard deviation)."],
            tables: [ReportTable(name: name, caption: "Accuracy on perturbed non-member records",
                                 columns: ["attack", "perturbation", "accuracy"],
                                 rows: results.map { [$0.attack, number($0.epsilon), f3($0.accuracy)] })],
            charts: [ReportChart(name: name + "-chart", title: "Accuracy against perturbation size", xLabel: "L∞ perturbation (standard deviations)",
                                 yLabel: "accuracy", yRange: 0...1,
                                 series: Dictionary(grouping: results, by: \.attack).sorted { $0.key < $1.key }.map { attack, rs in
                                     ChartSeries(label: attack, points: rs.map { ChartPoint(x: $0.epsilon, y: $0.accuracy) })
                                 })])
    }

    static func evasionCurves(model: Sequential, test: Dataset, perturbations: [Double], seed: UInt64) -> [EvasionResult] {
        Evasion.robustAccuracy(model: model, features: test.features, labels: test.labels, epsilons: perturbations,
                               attacks: [.fgsm, .pgd(steps: 10, stepSize: nil, randomStart: true)], bounds: nil, seed: seed)
    }

    /// Attack strength across the frontier's models: FGSM/PGD accuracy against perturbation size.
    static func strength(_ frontier: [AuditTrial.Outcome], plan: AuditSweepPlan, log: (String) -> Void) throws -> ReportSection {
        var rows: [[String]] = []
        var series: [ChartSeries] = []
        for o in frontier {
            log("strength: FGSM and PGD against the ε=\(epsilonLabel(o.setting)) model")
            let results = evasionCurves(model: o.model, test: o.test, perturbations: plan.perturbations, seed: plan.base.seed)
            for r in results { rows.append(["ε=\(epsilonLabel(o.setting))", r.attack, number(r.epsilon), f3(r.accuracy)]) }
            for (attack, rs) in Dictionary(grouping: results, by: \.attack).sorted(by: { $0.key < $1.key }) {
                series.append(ChartSeries(label: "\(attack), ε=\(epsilonLabel(o.setting))", points: rs.map { ChartPoint(x: $0.epsilon, y: $0.accuracy) }))
            }
        }
        return ReportSection(
            title: "Attack strength (evasion)",
            paragraphs: ["FGSM (Goodfellow et al. 2015) and PGD with 10 steps and a random start (Madry et al. 2018) against each frontier "
                         + "model, L∞ perturbations in the model's input space (standardised features: 0.1 is a tenth of each feature's "
                         + "standard deviation), on the non-member hold-out. DP does not make a model robust to evasion; "
                         + "adversarial training is what does (the robustness sweep measures it)."],
            tables: [ReportTable(name: "strength", caption: "Accuracy against perturbation size", columns: ["model", "attack", "perturbation", "accuracy"],
                                 rows: rows)],
            charts: [ReportChart(name: "strength-chart", title: "Accuracy against perturbation size", xLabel: "L∞ perturbation (standard deviations)",
                                 yLabel: "accuracy", yRange: 0...1, series: series)])
    }
}
