import Datasets
import Federation
import Foundation
import TensorCore

/// The attacks against a finished run's last signed checkpoint (`fedtop audit --run DIR`):
/// membership inference — the loss-threshold attack (Yeom et al. 2018) and, with shadow models,
/// offline LiRA (Carlini et al. 2022) — and evasion (FGSM, Goodfellow et al. 2015; PGD, Madry et
/// al. 2018).
///
/// Contract: the caller rebuilds the run's records as the run laid them out (`layout`: the same seed,
/// partition and hold-out) and loads the verified checkpoint of `round` into `model`; members are the
/// local hospitals' training records, non-members records no hospital trained on (the central
/// hold-out, or else the hospitals' test splits), half of them the attacker's population for the
/// shadow models, which train like the run (its settings in `plan`, the σ of its last round read
/// from the run folder's `events.jsonl`). A run with only remote hospitals cannot be audited this way
/// (their records never left them): `layout` must hold local shares.
public struct FinishedRunAudit {
    /// The run folder.
    public var directory: String
    /// The run's settings (training, privacy, strategy, seed, rounds).
    public var plan: FederationPlan
    public var layout: FederationLayout
    /// The global model at `round`.
    public var model: Sequential
    public var round: Int
    /// Shadow models for LiRA (fewer than 2: loss-threshold only).
    public var shadows: Int
    /// Members (and as many non-members) attacked at most.
    public var targets: Int
    /// FGSM/PGD perturbation sizes, in standard deviations of each feature.
    public var perturbations: [Double]
    /// How to reproduce the audit, quoted in the report.
    public var command: String

    public init(directory: String, plan: FederationPlan, layout: FederationLayout, model: Sequential, round: Int, shadows: Int,
                targets: Int, perturbations: [Double], command: String) {
        self.directory = directory
        self.plan = plan
        self.layout = layout
        self.model = model
        self.round = round
        self.shadows = shadows
        self.targets = targets
        self.perturbations = perturbations
        self.command = command
    }

    /// The report: membership inference and evasion; `log` hears progress.
    public func report(log: (String) -> Void) throws -> AuditReport {
        let hospitals = layout.shares.count
        log("auditing \(directory): round \(round) of \(plan.rounds), \(hospitals) local hospitals, \(layout.facts.name)")

        let (members, population, nonMembers, targetsSet) = try membershipSplit()
        var results = [try LossThresholdAttack.run(model: model, targets: targetsSet, target: "global")]
        let sigma = lastNoiseMultiplier()
        if shadows >= 2 {
            log("training \(shadows) shadow models like the run (\(plan.rounds) rounds, σ \(sigma.map { String(format: "%.3f", $0) } ?? "none"))")
            let settings = RoundSettings(round: 1, localEpochs: plan.localEpochs, batchSize: plan.batchSize, learningRate: plan.learningRate,
                                         momentum: plan.momentum,
                                         samplePrivacy: plan.privacy.sampleLevel ? sigma.map { .init(noiseMultiplier: $0, clipNorm: plan.clip) } : nil)
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-audit-\(getpid())").path
            let shadowModels = try ShadowTraining(architecture: model, rounds: round, settings: settings)
                .train(population: population, count: shadows, seed: plan.seed ^ 0x11a, scratch: scratch) { log("shadow model \($0) of \(shadows)") }
            results.append(try LikelihoodRatioAttack(shadowModels: shadowModels).run(model: model, targets: targetsSet, target: "global"))
        }
        let accuracy = ModelEvaluation.evaluate(model, features: nonMembers.features, labels: nonMembers.labels).accuracy
        var sections = [AuditSections.membership(results, accuracy: accuracy, epsilon: plan.epsilon, privacy: plan.privacy.rawValue)]
        sections.append(try AuditSections.evasion(model: model, test: nonMembers, perturbations: perturbations, seed: plan.seed,
                                                  name: "evasion", log: log))
        return AuditReport(
            title: "fedtop audit: \(URL(fileURLWithPath: directory).lastPathComponent)",
            setup: ["Run: \(directory), round \(round) of \(plan.rounds); \(layout.facts.name), \(hospitals) local hospitals, \(plan.strategy), DP \(plan.privacy.rawValue)"
                        + (plan.epsilon.map { ", ε budget \($0)" } ?? ""),
                    "Members: \(targetsSet.count) of the local hospitals' \(members.count) training records; non-members: as many records no hospital trained on.",
                    "Reproduce: \(command)"],
            sections: sections)
    }

    /// The run's records as the attacks use them: every local hospital's training records are members
    /// (simulated misbehaviour, `--simulate`, is not part of run.json); the records no hospital trained
    /// on are split into a shadow population and the non-members; `targets` balanced members and
    /// non-members are drawn from them.
    public func membershipSplit() throws -> (members: Dataset, population: Dataset, nonMembers: Dataset, targets: MembershipTargets) {
        let members = Dataset.concatenating(layout.shares.map(\.train))
        let outside = layout.centralTest ?? Dataset.concatenating(layout.shares.map(\.test))
        let (population, nonMembers) = outside.split(testFraction: 0.5, seed: plan.seed ^ 0x5ad0)
        return (members, population, nonMembers, try MembershipTargets.balanced(members: members, nonMembers: nonMembers, limit: targets, seed: plan.seed))
    }

    /// The σ of the run's last completed round (events.jsonl), if it used sample-level DP.
    private func lastNoiseMultiplier() -> Double? {
        guard let text = try? String(contentsOfFile: directory + "/events.jsonl", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n").reversed() {
            guard line.contains("\"roundCompleted\""), let event = try? JSONDecoder().decode(EngineEvent.self, from: Data(line.utf8)),
                  case .roundCompleted(let summary) = event.kind else { continue }
            return summary.noiseMultiplier
        }
        return nil
    }
}
