import RunConfiguration
import Audit
import Foundation

/// What a sweep trains and attacks.
struct AuditPlan {
    var base: AuditTrial.Setting
    var epsilons: [Double]
    var malicious: [Int]
    var defences: [String]
    var attacks: [SimulationSpec.Malice]
    var perturbations: [Double]
    var clientDP: (clip: Double, noise: Double)
    var dpLocalEpochs: Int
    var dpLearningRate: Float
    var maxUpdateNorm: Double
    var ablationEpsilon: Double
    var measures: AuditTrial.Measures
}

/// Runs a sweep's federations one after another, with progress on standard error, and lays the
/// measurements out as the report's sections.
final class AuditRunner {
    let plan: AuditPlan
    let scratch: String
    let command: String
    /// Headline lines printed when the sweep ends.
    private(set) var summary: [String] = []
    private var done = 0
    private var total = 0
    /// The frontier's models, kept for the attack-strength sweep.
    private var frontier: [AuditTrial.Outcome] = []

    init(plan: AuditPlan, scratch: String, command: String) {
        self.plan = plan
        self.scratch = scratch
        self.command = command
    }

    func report(sweeps: [String]) throws -> AuditReport {
        total = (sweeps.contains("frontier") || sweeps.contains("strength") ? plan.epsilons.count : 0)
            + (sweeps.contains("poisoning") ? poisoningSettings().count : 0)
            + (sweeps.contains("ablation") ? ablationSettings().count : 0)
        var sections: [ReportSection] = []
        let b = plan.base
        let setup = [
            "Data: \(b.dataset); \(b.hospitals) IID hospitals; \(Int((b.holdout * 100).rounded())) % of the records held out centrally before the split "
                + "(half non-member targets, half the attacker's population for shadow models); each hospital keeps 20 % of its share as its test split.",
            "Training: \(b.rounds) rounds of \(b.localEpochs) local epoch(s), expected batch \(b.batchSize), learning rate \(b.learningRate), "
                + "momentum \(b.momentum), seed \(b.seed); δ = 1e-5 under DP.",
            "Membership inference: up to \(plan.measures.targetLimit) members and as many non-members, balanced and disjoint; "
                + "loss-threshold (Yeom et al. 2018) and offline LiRA with \(plan.measures.shadows) shadow models (Carlini et al. 2022).",
            "Reproduce: \(command)",
        ]
        if sweeps.contains("frontier") || sweeps.contains("strength") { frontier = try runFrontier() }
        if sweeps.contains("frontier") { sections.append(AuditSections.frontier(frontier, plan: plan)) }
        if sweeps.contains("poisoning") { sections += AuditSections.poisoning(try runPoisoning(), plan: plan) }
        if sweeps.contains("ablation") { sections.append(AuditSections.ablation(try runAblation(), plan: plan)) }
        if sweeps.contains("strength") { sections.append(try AuditSections.strength(frontier, plan: plan, log: AuditSweep.progress)) }
        return AuditReport(title: "fedtop audit: \(b.dataset), \(b.hospitals) hospitals", setup: setup, sections: sections)
    }

    private func trial(_ s: AuditTrial.Setting, measures: AuditTrial.Measures) throws -> AuditTrial.Outcome {
        done += 1
        AuditSweep.progress("[\(done)/\(total)] \(s.label): training \(s.hospitals) hospitals for \(s.rounds) rounds")
        let o = try AuditTrial.run(s, measures: measures, scratch: scratch, log: AuditSweep.progress)
        var line = String(format: "[%d/%d] %@: accuracy %.3f", done, total, s.label, o.accuracy)
        for m in o.membership { line += String(format: ", %@ %@ AUC %.3f", m.target, m.attack, m.auc) }
        if let a = o.attackSuccess { line += String(format: ", backdoor success %.3f", a) }
        AuditSweep.progress(line + " (\(Int(o.seconds)) s)")
        return o
    }

    // MARK: - The sweeps

    private func runFrontier() throws -> [AuditTrial.Outcome] {
        try plan.epsilons.map { e in
            var s = plan.base
            s.label = e.isFinite ? "frontier ε=\(AuditSections.number(e))" : "frontier ε=∞"
            s.epsilon = e.isFinite ? e : nil
            // DP-SGD's own recipe: one local epoch per round (each step costs ε), a larger step on
            // clipped, noised gradients.
            if e.isFinite {
                s.localEpochs = plan.dpLocalEpochs
                s.learningRate = plan.dpLearningRate
            }
            let o = try trial(s, measures: plan.measures)
            if let lira = o.membership.first(where: { $0.attack == LikelihoodRatioAttack.name }) {
                summary.append(String(format: "frontier ε=%@: accuracy %.3f, LiRA AUC %.3f, TPR@0.1%% FPR %.3f",
                                      e.isFinite ? AuditSections.number(e) : "∞", o.accuracy, lira.auc, lira.tprAtTenthPercent))
            }
            return o
        }
    }

    func poisoningSettings() -> [AuditTrial.Setting] {
        var out: [AuditTrial.Setting] = []
        for defence in plan.defences {
            for attack in plan.attacks {
                for m in plan.malicious {
                    // The clean run is the same for every attack: train it once.
                    if m == 0, attack != plan.attacks.first { continue }
                    var s = plan.base
                    s.malicious = m
                    s.attack = m == 0 ? (plan.attacks.contains(.backdoor) ? .backdoor : attack) : attack
                    if defence == "client-dp" { s.clientDP = plan.clientDP } else { s.strategy = defence }
                    s.label = "poisoning \(defence) \(m == 0 ? "clean" : "\(m)×\(attack.rawValue)")"
                    out.append(s)
                }
            }
        }
        return out
    }

    private func runPoisoning() throws -> [AuditTrial.Outcome] {
        var noMembership = plan.measures
        noMembership.membership = false
        return try poisoningSettings().map { try trial($0, measures: noMembership) }
    }

    func ablationSettings() -> [AuditTrial.Setting] {
        var all = plan.base
        all.epsilon = plan.ablationEpsilon
        all.learningRate = plan.dpLearningRate
        all.localEpochs = plan.dpLocalEpochs
        all.strategy = "trimmed:0.2"
        all.maxUpdateNorm = plan.maxUpdateNorm
        all.malicious = 1
        all.attack = .backdoor
        all.label = "ablation all defences"
        var noDP = all
        noDP.epsilon = nil
        noDP.label = "ablation − DP-SGD"
        var noRobust = all
        noRobust.strategy = "fedavg"
        noRobust.label = "ablation − robust aggregation"
        var noRejection = all
        noRejection.maxUpdateNorm = nil
        noRejection.label = "ablation − norm rejection"
        var none = noDP
        none.strategy = "fedavg"
        none.maxUpdateNorm = nil
        none.label = "ablation no defence"
        return [all, noDP, noRobust, noRejection, none]
    }

    private func runAblation() throws -> [AuditTrial.Outcome] {
        var loss = plan.measures
        loss.shadows = 0
        return try ablationSettings().map { try trial($0, measures: loss) }
    }
}
