import Datasets
import Federation
import Privacy
import Foundation
import TensorCore

/// Trains the shadow models of the likelihood-ratio attack the way the target was trained: each
/// shadow is a hospital (``HospitalTrainer``, the same local training and DP-SGD as the
/// federation's) that trains a freshly initialised copy of the architecture on a random half of
/// the attacker's population for the target's number of rounds.
///
/// Contract: `population` is disjoint from every target record (offline LiRA needs only OUT
/// models); each shadow draws its half with its own seed, so shadows differ in data, initialisation
/// and noise. Under sample-level DP each shadow keeps a throw-away ledger in `scratch` (removed
/// afterwards) with an unbounded budget: the attacker's models spend no patient's privacy.
public struct ShadowTraining: Sendable {
    public var architecture: Sequential
    public var rounds: Int
    /// The round settings (round number overwritten); `samplePrivacy` trains the shadows with DP-SGD.
    public var settings: RoundSettings

    public init(architecture: Sequential, rounds: Int, settings: RoundSettings) {
        self.architecture = architecture
        self.rounds = rounds
        self.settings = settings
    }

    /// `count` shadow models from `population`; `progress` is called after each one.
    public func train(population: Dataset, count: Int, seed: UInt64, scratch: String,
                      progress: (Int) -> Void = { _ in }) throws -> [Sequential] {
        guard population.count >= 4 else {
            throw AuditError.invalidInput("the shadow population holds \(population.count) records; the likelihood-ratio attack needs more")
        }
        let directory = scratch + "/shadows-\(UInt32.random(in: .min ... .max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let gate = ComputeGate()
        var models: [Sequential] = []
        for k in 0..<count {
            let shadowSeed = seed &+ UInt64(k + 1) &* 0x9E37_79B9_7F4A_7C15
            var generator = SeededGenerator(seed: shadowSeed)
            var indices = Array(0..<population.count)
            indices.shuffle(using: &generator)
            let half = population.subset(Array(indices.prefix(population.count / 2)).sorted())
            var model = try Sequential(kind: architecture.kind, inputShape: architecture.inputShape,
                                       layers: architecture.layers, seed: shadowSeed)
            let privacy = try settings.samplePrivacy.map { _ in
                HospitalTrainer.Privacy(ledgerPath: "\(directory)/shadow-\(k).ledger", epsilonBudget: 1e12, delta: 0.5,
                                      noiseSeed: shadowSeed, seal: try LedgerSeal.loadOrCreate(directory: directory + ".seal", name: "shadow-\(k)"))
            }
            let hospital = try HospitalTrainer(name: "shadow-\(k + 1)", data: HospitalData(train: half, test: half.subset([0])),
                                               architecture: model, privacy: privacy, policy: .permissive, seed: shadowSeed, gate: gate)
            var global = model.parameters
            for r in 1...max(1, rounds) {
                var s = settings
                s.round = r
                let update = try hospital.train(globalModel: global, settings: s) { _ in }
                global.add(update.delta, scaledBy: 1)
            }
            try model.setParameters(global)
            models.append(model)
            progress(k + 1)
        }
        return models
    }
}
