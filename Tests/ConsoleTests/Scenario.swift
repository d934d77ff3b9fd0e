import Console
import Federation
import Privacy

/// A scripted federation for the tests: 3 hospitals, 30 rounds, ε budget 3; three rounds done, σ
/// raised before round 4, hospital-3 dropped, one update rejected, round 4 training (2 of 3 in).
enum Scenario {
    static let facts = FederationFacts(hospitals: [
        .init(name: "hospital-1", location: "local", records: 533, testRecords: 134),
        .init(name: "hospital-2", location: "local", records: 533, testRecords: 133),
        .init(name: "hospital-3", location: "remote", records: 534, testRecords: 133),
    ], privacy: .sample)

    static let run = RunDescription(name: "lesions-lesioncnn", dataset: "lesions", model: "lesioncnn", parameters: 24_000,
                                    hospitals: ["hospital-1", "hospital-2", "hospital-3"], rounds: 30, strategy: "fedavg",
                                    privacy: RunPrivacy(mode: .sample, sampleNoise: 1.1, sampleClip: 1), delta: 1e-5, epsilonBudget: 3, secureNoise: true, startRound: 1)

    static func settings(_ round: Int, sigma: Double) -> RoundSettings {
        RoundSettings(round: round, localEpochs: 1, batchSize: 64, learningRate: 0.05, momentum: 0.9,
                      samplePrivacy: .init(noiseMultiplier: sigma, clipNorm: 1))
    }

    static func summary(_ round: Int, sigma: Double) -> RoundSummary {
        let e = 0.4 * Double(round)
        return RoundSummary(round: round, selected: 3, aggregated: 3, trainLoss: 2.0 - 0.3 * Double(round),
                            evaluation: EvaluationMetrics(count: 400, loss: 2.1 - 0.25 * Double(round), accuracy: 0.5 + 0.08 * Double(round), auc: nil),
                            centralEvaluation: nil,
                            hospitalEpsilon: ["hospital-1": e, "hospital-2": e + 0.01, "hospital-3": e + 0.02],
                            federationEpsilon: nil, noiseMultiplier: sigma, clipNorm: 1, seconds: 0.5,
                            trainingSeconds: 0.4, aggregationSeconds: 0.01)
    }

    /// The events, in the engine's order, with times 0.1 s apart.
    static var events: [EngineEvent] {
        var kinds: [(Int, EngineEvent.Kind)] = [(0, .runStarted(run)), (0, .phaseChanged(.idle))]
        let names = run.hospitals
        for r in 1...3 {
            kinds += [(r, .phaseChanged(.selecting)), (r, .roundStarted(selected: names, settings: settings(r, sigma: 1.1))),
                      (r, .phaseChanged(.broadcasting)), (r, .phaseChanged(.training(reported: 0, selected: 3)))]
            for (i, h) in names.enumerated() {
                kinds.append((r, .progress(hospital: h, stepsDone: 8, stepsTotal: 8)))
                kinds.append((r, .updateReceived(hospital: h, trainLoss: 2.0 - 0.3 * Double(r), clippedFraction: 0.25 + 0.1 * Double(i),
                                                 epsilon: 0.4 * Double(r) + 0.01 * Double(i), seconds: 0.4)))
            }
            kinds += [(r, .phaseChanged(.aggregating)), (r, .phaseChanged(.evaluating)), (r, .phaseChanged(.checkpointing)),
                      (r, .checkpointWritten(path: "runs/demo/model.safetensors")), (r, .roundCompleted(summary(r, sigma: 1.1)))]
        }
        kinds += [(3, .commandApplied(.setSampleNoise(try! SampleNoiseMultiplier(1.21)), effect: "σ 1.210 from round 4 (a new accountant segment)")),
                  (3, .commandApplied(.dropHospital("hospital-3"), effect: "hospital-3 dropped from round 4")),
                  (4, .phaseChanged(.selecting)),
                  (4, .roundStarted(selected: ["hospital-1", "hospital-2"], settings: settings(4, sigma: 1.21))),
                  (4, .phaseChanged(.training(reported: 0, selected: 2))),
                  (4, .progress(hospital: "hospital-1", stepsDone: 3, stepsTotal: 8)),
                  (4, .updateRejected(hospital: "hospital-2", reason: "update norm 912.0 exceeds 100.0")),
                  (4, .phaseChanged(.training(reported: 1, selected: 2)))]
        return kinds.enumerated().map { i, k in EngineEvent(time: Double(i) * 0.1, wallTime: 1_700_000_000 + Double(i) * 0.1, round: k.0, kind: k.1) }
    }

    static var model: DashboardModel {
        var m = DashboardModel(facts: facts)
        for e in events { m.apply(e) }
        m.forecast = PrivacyForecast(finalEpsilon: 2.95, budget: 3, roundsLeft: 26, limitingParty: "hospital-2")
        return m
    }
}
