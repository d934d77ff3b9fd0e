import Foundation
import Privacy

/// What a sweep trains and attacks: the base setting, and what each sweep varies.
public struct AuditSweepPlan: Sendable {
    public var base: AuditTrial.Setting
    /// Frontier: the sample-level ε of every hospital (∞: no DP).
    public var epsilons: [Double]
    /// Poisoning: how many of the hospitals are malicious.
    public var malicious: [Int]
    /// Poisoning: the defences, strategies as ``StrategyParser`` reads them, or `client-dp` (DP-FedAvg with ``clientDP``).
    public var defences: [String]
    public var attacks: [AuditPoisoning]
    /// Strength: FGSM/PGD perturbation sizes, in standard deviations of each feature.
    public var perturbations: [Double]
    /// The client-dp defence: update clip S and noise multiplier z.
    public var clientDP: (clip: Double, noise: Double)
    /// Local epochs and learning rate under DP-SGD.
    public var dpLocalEpochs: Int
    public var dpLearningRate: Float
    /// Ablation: the update norm above which updates are rejected, and the ε of its DP-SGD defence.
    public var maxUpdateNorm: Double
    public var ablationEpsilon: Double
    public var measures: AuditTrial.Measures
    /// Robustness: the sample-level ε of the federations compared (∞: no DP), the adversarial
    /// trainings compared with clean training, and the seeds each setting is trained with.
    public var robustnessEpsilons: [Double] = [1, 4, .infinity]
    public var adversarialTrainings: [AdversarialTraining] = []
    public var robustnessSeeds = 5
    /// Federated dropout: the kept shares compared (1: the full model) and the sample-level ε of each
    /// comparison (∞: no DP); seeds as for robustness.
    public var dropoutKeeps: [Double] = [1, 0.75, 0.5]
    public var dropoutEpsilons: [Double] = [4, .infinity]

    public init(base: AuditTrial.Setting, epsilons: [Double], malicious: [Int], defences: [String], attacks: [AuditPoisoning],
                perturbations: [Double], clientDP: (clip: Double, noise: Double), dpLocalEpochs: Int, dpLearningRate: Float,
                maxUpdateNorm: Double, ablationEpsilon: Double, measures: AuditTrial.Measures) {
        self.base = base
        self.epsilons = epsilons
        self.malicious = malicious
        self.defences = defences
        self.attacks = attacks
        self.perturbations = perturbations
        self.clientDP = clientDP
        self.dpLocalEpochs = dpLocalEpochs
        self.dpLearningRate = dpLearningRate
        self.maxUpdateNorm = maxUpdateNorm
        self.ablationEpsilon = ablationEpsilon
        self.measures = measures
    }
}

/// The audit's exercises, each a set of real federated runs (``AuditTrial``): the privacy–utility
/// frontier (accuracy and membership inference across ε), the poisoning budget (malicious hospitals
/// under each defence), the defence ablation (one defence removed at a time) and the attack strength
/// (FGSM, Goodfellow et al. 2015, and PGD, Madry et al. 2018, against perturbation size).
///
/// Contract: ``report(sweeps:)`` trains the sweeps' federations one after another (in `scratch`),
/// telling `progress` a line per step, and lays the measurements out as the report's sections
/// (frontier, poisoning, ablation, strength, those asked for); ``summary`` then holds the headline
/// lines. Errors are ``AuditTrial``'s.
public final class AuditSweepRunner {
    /// One exercise of the sweep, by the name `--sweeps` takes.
    public enum Sweep: String, CaseIterable, Sendable {
        case frontier, poisoning, ablation, strength, robustness, dropout, exhaustion
    }

    public let plan: AuditSweepPlan
    public let scratch: String
    /// How to reproduce the sweep, quoted in the report.
    public let command: String
    private let progress: (String) -> Void
    /// Headline lines to print when the sweep ends.
    public private(set) var summary: [String] = []
    private var done = 0
    private var total = 0
    /// The frontier's models, kept for the attack-strength sweep.
    private var frontier: [AuditTrial.Outcome] = []
    /// The hospital the exhaustion sweep attacks (the caller's: it needs the transport); nil: that sweep
    /// cannot run.
    public var exhaustionTarget: (any HospitalSponge.Target)?

    public init(plan: AuditSweepPlan, scratch: String, command: String, progress: @escaping (String) -> Void) {
        self.plan = plan
        self.scratch = scratch
        self.command = command
        self.progress = progress
    }

    public func report(sweeps: [Sweep]) throws -> AuditReport {
        total = (sweeps.contains(.frontier) || sweeps.contains(.strength) ? plan.epsilons.count : 0)
            + (sweeps.contains(.poisoning) ? poisoningSettings().count : 0)
            + (sweeps.contains(.ablation) ? ablationSettings().count : 0)
            + (sweeps.contains(.robustness) ? robustnessSettings().count : 0)
            + (sweeps.contains(.dropout) ? dropoutSettings().count : 0)
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
        if sweeps.contains(.frontier) || sweeps.contains(.strength) { frontier = try runFrontier() }
        if sweeps.contains(.frontier) { sections.append(AuditSections.frontier(frontier, plan: plan)) }
        if sweeps.contains(.poisoning) { sections += AuditSections.poisoning(try runPoisoning(), plan: plan) }
        if sweeps.contains(.ablation) { sections.append(AuditSections.ablation(try runAblation(), plan: plan)) }
        if sweeps.contains(.strength) { sections.append(try AuditSections.strength(frontier, plan: plan, log: progress)) }
        if sweeps.contains(.robustness) { sections.append(AuditSections.robustness(try runRobustness(), plan: plan)) }
        if sweeps.contains(.dropout) { sections.append(AuditSections.dropout(try runDropout(), plan: plan)) }
        if sweeps.contains(.exhaustion) {
            guard let target = exhaustionTarget else { throw AuditSweepError.setting("exhaustion: no hospital to attack") }
            sections.append(try HospitalSponge.section(target: target, log: progress))
        }
        return AuditReport(title: "fedtop audit: \(b.dataset), \(b.hospitals) hospitals", setup: setup, sections: sections)
    }

    private func trial(_ s: AuditTrial.Setting, measures: AuditTrial.Measures) throws -> AuditTrial.Outcome {
        done += 1
        progress("[\(done)/\(total)] \(s.label): training \(s.hospitals) hospitals for \(s.rounds) rounds")
        let o = try AuditTrial.run(s, measures: measures, scratch: scratch, log: progress)
        var line = String(format: "[%d/%d] %@: accuracy %.3f", done, total, s.label, o.accuracy)
        for m in o.membership { line += String(format: ", %@ %@ AUC %.3f", m.target, m.attack, m.auc) }
        if let a = o.attackSuccess { line += String(format: ", backdoor success %.3f", a) }
        progress(line + " (\(Int(o.seconds)) s)")
        return o
    }

    // MARK: - The sweeps

    private func runFrontier() throws -> [AuditTrial.Outcome] {
        try plan.epsilons.map { e in
            var s = plan.base
            s.label = e.isFinite ? "frontier ε=\(AuditSections.number(e))" : "frontier ε=∞"
            train(&s, atEpsilon: e)
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
        try poisoningSettings().map { try trial($0, measures: accuracyOnly) }
    }

    /// The plan's measures without membership inference (the sweeps that measure accuracy and attacks only).
    private var accuracyOnly: AuditTrial.Measures {
        var m = plan.measures
        m.membership = false
        return m
    }

    /// Sample-level DP-SGD at `e` with DP-SGD's own recipe — one local epoch per round (each step costs ε),
    /// a larger step on clipped, noised gradients — or no DP for ∞.
    private func train(_ s: inout AuditTrial.Setting, atEpsilon e: Double) {
        s.epsilon = e.isFinite ? e : nil
        if e.isFinite {
            s.localEpochs = plan.dpLocalEpochs
            s.learningRate = plan.dpLearningRate
        }
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

    /// Every (ε, training) pair, each with `robustnessSeeds` seeds: clean training first, then each
    /// adversarial training, under DP-SGD's recipe where ε is finite.
    func robustnessSettings() -> [AuditTrial.Setting] {
        var out: [AuditTrial.Setting] = []
        for e in plan.robustnessEpsilons {
            for training in [nil] + plan.adversarialTrainings.map(Optional.some) {
                for k in 0..<plan.robustnessSeeds {
                    var s = plan.base
                    train(&s, atEpsilon: e)
                    s.adversarial = training
                    s.seed = plan.base.seed &+ UInt64(k)
                    s.label = "robustness ε=\(e.isFinite ? AuditSections.number(e) : "∞") \(training?.spec ?? "clean") seed \(s.seed)"
                    out.append(s)
                }
            }
        }
        return out
    }

    /// Trains each robustness setting and measures FGSM and PGD accuracy on its hold-out.
    private func runRobustness() throws -> [AuditSections.RobustnessTrial] {
        let measures = accuracyOnly
        return try robustnessSettings().map { s in
            let o = try trial(s, measures: measures)
            progress("\(s.label): FGSM and PGD on the hold-out")
            // Clean accuracy on the same hold-out as the attacks (ε = 0 of the curves).
            let curves = AuditSections.evasionCurves(model: o.model, test: o.test,
                                                     perturbations: [0] + plan.perturbations.filter { $0 > 0 }, seed: s.seed)
            return AuditSections.RobustnessTrial(setting: s, accuracy: curves.first { $0.epsilon == 0 }?.accuracy ?? o.accuracy,
                                                 evasion: curves)
        }
    }

    /// Every (ε, kept share) pair, each with `robustnessSeeds` seeds, under DP-SGD's recipe where ε is finite.
    func dropoutSettings() -> [AuditTrial.Setting] {
        var out: [AuditTrial.Setting] = []
        for e in plan.dropoutEpsilons {
            for keep in plan.dropoutKeeps {
                for k in 0..<plan.robustnessSeeds {
                    var s = plan.base
                    train(&s, atEpsilon: e)
                    s.federatedDropout = keep < 1 ? keep : nil
                    s.seed = plan.base.seed &+ UInt64(k)
                    s.label = "dropout ε=\(e.isFinite ? AuditSections.number(e) : "∞") keep \(AuditSections.number(keep)) seed \(s.seed)"
                    out.append(s)
                }
            }
        }
        return out
    }

    /// Trains each federated-dropout setting: accuracy on the hold-out and the bytes its rounds moved.
    private func runDropout() throws -> [AuditTrial.Outcome] {
        let measures = accuracyOnly
        return try dropoutSettings().map { try trial($0, measures: measures) }
    }
}
