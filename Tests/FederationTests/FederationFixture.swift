import Datasets
import Federation
import Foundation
import Privacy
import TensorCore

/// A small in-memory federation on WDBC for the engine's tests.
struct FederationFixture {
    let directory: String
    let hospitals: [LocalHospital]
    let model: Sequential

    init(hospitals count: Int = 3, privacy: Bool = true, budget: Double = 50, knobs: [SimulationKnobs] = [],
         noiseSeed: UInt64? = 11, seed: UInt64 = 5, policy: HospitalPolicy = .permissive) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-engine-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try BuiltinDataset.named("wdbc")
        let shares = try Partitioner.partition(data, hospitals: count, scheme: .iid, testFraction: 0.2, seed: seed)
        model = try ModelZoo.mlp(inputShape: data.featureShape, classes: 2, seed: seed)
        let gate = ComputeGate(slots: 2)
        var hospitals: [LocalHospital] = []
        for (i, share) in shares.enumerated() {
            let s = Standardizer.fit(share.train)
            let name = "h\(i + 1)"
            hospitals.append(try LocalHospital(
                name: name, data: HospitalData(train: s.apply(share.train), test: s.apply(share.test)), architecture: model,
                privacy: privacy ? .init(ledgerPath: "\(directory)/\(name).ledger", epsilonBudget: budget, delta: 1e-5,
                                         noiseSeed: noiseSeed.map { $0 &+ UInt64(i) },
                                         seal: try LedgerSeal.loadOrCreate(directory: "\(directory).seal", name: name)) : nil,
                policy: policy, knobs: i < knobs.count ? knobs[i] : .init(), seed: seed &+ UInt64(i), gate: gate))
        }
        self.hospitals = hospitals
    }

    func configuration(rounds: Int = 3, privacy: PrivacyMode = .sample, sigma: Double = 0.8, budget: Double = 50,
                       selection: HospitalSelection? = nil, quorum: Int = 2, deadline: Double? = nil) -> EngineConfiguration {
        EngineConfiguration(name: "test", dataset: "wdbc", rounds: rounds, localEpochs: 1, batchSize: 32, learningRate: 0.3,
                            momentum: 0, privacy: privacy, noiseMultiplier: sigma, clipNorm: 1, delta: 1e-5,
                            epsilonBudget: privacy == .off ? nil : budget,
                            selection: selection ?? .count(hospitals.count), quorum: quorum, deadline: deadline, seed: 3,
                            secureNoise: false)
    }

    /// Runs an engine to the end and returns its outcome and every event.
    static func run(_ engine: Engine) -> (RunOutcome, [EngineEvent]) {
        let subscription = engine.bus.subscribe(capacity: 100_000)
        engine.start()
        let outcome = engine.wait()
        var events: [EngineEvent] = []
        while let e = subscription.next() { events.append(e) }
        return (outcome, events)
    }
}

/// The sample-weighted mean with the plain server step (what FedAvg does), for engine tests that
/// must not depend on the strategies' own files.
struct MeanStrategy: Strategy {
    var name: String { "mean" }
    var combination: CombinationKind { .mean }
    func combine(_ updates: [ClientUpdate]) -> Tensor {
        let total = Float(updates.reduce(0) { $0 + $1.sampleCount })
        var sum = Tensor(shape: [updates[0].delta.count])
        for u in updates { sum.add(u.delta, scaledBy: Float(u.sampleCount) / total) }
        return sum
    }
}

/// A robust rule stand-in (the first update), to check what client-level DP refuses.
struct FirstUpdateStrategy: Strategy {
    var name: String { "first" }
    var combination: CombinationKind { .robust }
    func combine(_ updates: [ClientUpdate]) -> Tensor { updates[0].delta }
}

extension [EngineEvent] {
    var summaries: [RoundSummary] {
        compactMap { if case .roundCompleted(let s) = $0.kind { return s } else { return nil } }
    }
    var phases: [RoundPhase] {
        compactMap { if case .phaseChanged(let p) = $0.kind { return p } else { return nil } }
    }
    func contains(where kind: (EngineEvent.Kind) -> Bool) -> Bool { contains { kind($0.kind) } }
}
