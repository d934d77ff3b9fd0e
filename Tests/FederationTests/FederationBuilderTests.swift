import Datasets
import Federation
import Foundation
import Privacy
import Testing

/// The federation as a library: a plan, a layout and a folder make a running federation, with no
/// command line.
@Suite("FederationBuilder: a federation built and run from code", .serialized)
struct FederationBuilderTests {
    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-builder-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func storage(_ dir: String) -> RunStorage {
        RunStorage(directory: dir, checkpoints: nil, seal: { try LedgerSeal.loadOrCreate(directory: dir + ".seal", name: $0) })
    }

    @Test("three hospitals on WDBC under DP-SGD: every round completes within each hospital's budget, σ calibrated, files written")
    func buildsAndRuns() throws {
        let dir = try scratch()
        // The README's example, line for line.
        let layout = try FederationLayout(dataset: "wdbc", localHospitals: 3, partition: "iid", testFraction: 0.2,
                                          centralHoldout: nil, featureClip: nil, model: nil, seed: 1, remoteFacts: nil)
        let plan = FederationPlan(name: "wdbc-demo", rounds: 3, selection: .count(3), noiseSeed: 7)
        let federation = try FederationBuilder.build(plan, layout: layout, model: try layout.initialModel(seed: 1),
                                                     storage: storage(dir))
        federation.engine.start()
        let outcome = federation.engine.wait()
        _ = federation.recorder.finish()

        #expect(outcome == .finished)
        #expect(federation.hospitals.map(\.name) == ["hospital-1", "hospital-2", "hospital-3"])
        #expect(federation.noiseMultiplier > 0 && federation.strategyName == "fedavg")
        for h in federation.hospitals { #expect(h.epsilonSpent > 0 && h.epsilonSpent <= 3, "\(h.name): \(h.epsilonSpent)") }
        let metrics = try String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 4, "\(metrics)")
    }

    @Test("each checkpoint carries the run's provenance (run, data, class names, feature space and clip, privacy), signed with the weights")
    func checkpointsCarryProvenance() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layout = try FederationLayout(dataset: "wdbc", localHospitals: 3, partition: "iid", testFraction: 0.2,
                                          centralHoldout: nil, featureClip: 4, model: nil, seed: 1, remoteFacts: nil)
        let plan = FederationPlan(name: "provenance", rounds: 2, selection: .count(3), noiseSeed: 7)
        let keys = try scratch()
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let signer = try CheckpointSigner.create(inRunDirectory: keys)
        let store = CheckpointStore(directory: dir, signer: signer, encryptionKey: nil)
        let federation = try FederationBuilder.build(plan, layout: layout, model: try layout.initialModel(seed: 1),
                                                     storage: RunStorage(directory: dir, checkpoints: store, seal: {
                                                         try LedgerSeal.loadOrCreate(directory: dir + ".seal", name: $0) }))
        federation.engine.start()
        #expect(federation.engine.wait() == .finished)
        _ = federation.recorder.finish()

        let checkpoint = try CheckpointReader(directory: dir, verifier: signer.verifier, encryption: nil).loadLatest()
        let provenance = try #require(ModelProvenance(metadata: checkpoint.metadata))
        #expect(provenance == ModelProvenance(run: "provenance", dataset: "wdbc", classNames: ["malignant", "benign"],
                                              featureClip: 4, featureNames: BuiltinDataset.wdbcFeatureNames, privacy: "sample",
                                              epsilonBudget: 3, delta: 1e-5))
        #expect(checkpoint.round == 2 && checkpoint.metadata["fedtop.strategy"] == "fedavg")
        // An older checkpoint (no provenance) reads as none, not as made-up facts.
        #expect(ModelProvenance(metadata: ["fedtop.strategy": "fedavg"]) == nil)
    }

    @Test("client-level DP wraps the strategy in DP-FedAvg and pays the federation's ledger; a plan no σ fits is refused with a configuration error")
    func clientLevelAndRefusal() throws {
        let dir = try scratch()
        // Ten hospitals at ε = 10: client-level noise small enough to learn (ClientNoiseFeasibility).
        let layout = try FederationLayout(dataset: "wdbc", localHospitals: 10, partition: "iid", testFraction: 0.2,
                                          centralHoldout: nil, featureClip: nil, model: nil, seed: 2, remoteFacts: nil)
        let plan = FederationPlan(name: "client", rounds: 2, privacy: .client, epsilon: 10, selection: .rate(0.9), noiseSeed: 3)
        let federation = try FederationBuilder.build(plan, layout: layout, model: try layout.initialModel(seed: 2), storage: storage(dir))
        #expect(federation.strategyName == "dp(fedavg)" && federation.federationLedgerPath != nil)
        federation.engine.start()
        #expect(federation.engine.wait() == .finished)
        _ = federation.recorder.finish()
        let contents = try PrivacyLedger.read(path: federation.federationLedgerPath!, seal: nil)
        #expect(contents.accountant.epsilon(delta: 1e-5).epsilon > 0)

        let other = try scratch()
        let impossible = FederationPlan(name: "tight", rounds: 10_000, epsilon: 0.01, selection: .count(4))
        #expect(throws: FederationError.self) {
            _ = try FederationBuilder.build(impossible, layout: layout, model: try layout.initialModel(seed: 2), storage: storage(other))
        }
        // Four hospitals under client-level DP: the noise drowns what they can send; refused before round 1, with the numbers.
        let few = try FederationLayout(dataset: "wdbc", localHospitals: 4, partition: "iid", testFraction: 0.2,
                                       centralHoldout: nil, featureClip: nil, model: nil, seed: 2, remoteFacts: nil)
        let drowned = FederationPlan(name: "few", rounds: 2, privacy: .client, epsilon: 5, selection: .rate(0.9), noiseSeed: 3)
        do {
            _ = try FederationBuilder.build(drowned, layout: few, model: try few.initialModel(seed: 2), storage: storage(try scratch()))
            Issue.record("four hospitals under client-level DP at ε = 5 were not refused")
        } catch {
            #expect("\(error)".contains("client-level DP cannot learn here") && "\(error)".contains("× the largest possible signal"))
        }
    }

    @Test("a plan with DP and no ε budget is refused with a configuration error, not a crash")
    func dpNeedsABudget() throws {
        let dir = try scratch()
        let layout = try FederationLayout(dataset: "wdbc", localHospitals: 2, partition: "iid", testFraction: 0.2,
                                          centralHoldout: nil, featureClip: nil, model: nil, seed: 1, remoteFacts: nil)
        var plan = FederationPlan(name: "no-budget", rounds: 1, selection: .count(2))
        plan.epsilon = nil
        #expect(throws: FederationError.self) {
            _ = try FederationBuilder.build(plan, layout: layout, model: try layout.initialModel(seed: 1), storage: storage(dir))
        }
    }
}
