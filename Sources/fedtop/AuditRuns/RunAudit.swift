import RunConfiguration
import Audit
import Datasets
import Federation
import Foundation
import TensorCore

/// `fedtop audit --run DIR`: the attacks against a finished run's last signed checkpoint.
///
/// The run's records are rebuilt from its `run.json` (the same seed, partition and hold-out), so the
/// audit knows who was a member: members are the local hospitals' training records; non-members are
/// records no hospital trained on (the central hold-out, or else the hospitals' test splits), half of
/// them the attacker's population for the shadow models. A run with only remote hospitals cannot be
/// audited this way (their records never left them).
struct RunAudit {
    let directory: String
    let shadows: Int
    let targets: Int
    let perturbations: [Double]

    func report(log: (String) -> Void) throws -> AuditReport {
        var options = try FederationOptions.parse([])
        options.resume = directory
        let plan = try options.resolved()
        guard plan.hospitals > 0 else {
            throw UsageError("--run \(directory): the run had no local hospitals; remote hospitals' records never left them, so there is no one to audit here")
        }
        let layout = try FederationLayout(plan: plan, remoteFacts: nil)
        var model = try layout.initialModel(seed: plan.seed)
        let round: Int
        do {
            let store = try CheckpointStore(directory: directory, signer: try RunKeys.open(runDirectory: directory).1,
                                            encryptAtRest: plan.encryptCheckpoints)
            round = try store.loadLatest(into: &model).round
        } catch { throw RunError("--run \(directory): no verified checkpoint to audit: \(error)") }
        guard round > 0 else { throw UsageError("--run \(directory): no round completed yet (only the initial model is saved)") }
        log("auditing \(directory): round \(round) of \(plan.rounds), \(plan.hospitals) local hospitals, \(layout.facts.name)")

        // Simulated misbehaviour (--simulate) is not part of run.json: every local hospital's training
        // records count as members.
        let members = Dataset.concatenating(layout.shares.map(\.train))
        let outside = layout.centralTest ?? Dataset.concatenating(layout.shares.map(\.test))
        let (population, nonMembers) = outside.split(testFraction: 0.5, seed: plan.seed ^ 0x5ad0)
        let targetsSet = try MembershipTargets.balanced(members: members, nonMembers: nonMembers, limit: targets, seed: plan.seed)
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
            setup: ["Run: \(directory), round \(round) of \(plan.rounds); \(layout.facts.name), \(plan.hospitals) local hospitals, \(plan.strategy), DP \(plan.privacy.rawValue)"
                        + (plan.epsilon.map { ", ε budget \($0)" } ?? ""),
                    "Members: \(targetsSet.count) of the local hospitals' \(members.count) training records; non-members: as many records no hospital trained on.",
                    "Reproduce: fedtop audit --run \(directory) --shadows \(shadows) --targets \(targets)"],
            sections: sections)
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
