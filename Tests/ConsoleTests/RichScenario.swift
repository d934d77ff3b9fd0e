import Console
import Federation
import Privacy

/// A crowded federation for the layout tests: long log lines (checkpoint paths, refused commands,
/// a long warning), audit lines, rejected updates, a pending σ, with 3 or 12 hospitals.
enum RichScenario {
    static let checkpointDirectory = "/tmp/wt-layout-runs/lesions-lesioncnn-20261205-174512/checkpoints"

    static func names(_ count: Int) -> [String] { (1...count).map { "hospital-\($0)" } }

    static func run(hospitals count: Int) -> RunDescription {
        RunDescription(name: "lesions-lesioncnn", dataset: "lesions", model: "lesioncnn", parameters: 24_000,
                       hospitals: names(count), rounds: 30, strategy: "fedavg",
                       privacy: RunPrivacy(mode: .sample, sampleNoise: 2.97, sampleClip: 1), delta: 1e-5, epsilonBudget: 3,
                       secureNoise: true, startRound: 1)
    }

    static func events(hospitals count: Int) -> [EngineEvent] {
        let names = names(count)
        var kinds: [(Int, EngineEvent.Kind)] = [(0, .runStarted(run(hospitals: count))), (0, .phaseChanged(.idle))]
        for r in 1...10 {
            let settings = RoundSettings(round: r, localEpochs: 1, batchSize: 64, learningRate: 0.05, momentum: 0.9,
                                         samplePrivacy: .init(noiseMultiplier: 2.97, clipNorm: 1))
            kinds += [(r, .phaseChanged(.selecting)), (r, .roundStarted(selected: names, settings: settings)),
                      (r, .phaseChanged(.training(reported: 0, selected: count)))]
            for (i, h) in names.enumerated() {
                kinds.append((r, .updateReceived(hospital: h, trainLoss: 2.2 - 0.1 * Double(r), clippedFraction: 0.3,
                                                 epsilon: 0.25 * Double(r) + 0.01 * Double(i), seconds: 0.4)))
            }
            let summary = RoundSummary(round: r, selected: count, aggregated: count, trainLoss: 2.2 - 0.1 * Double(r),
                                       evaluation: EvaluationMetrics(count: 400, loss: 2.3 - 0.1 * Double(r), accuracy: 0.6 + 0.01 * Double(r), auc: nil),
                                       centralEvaluation: nil,
                                       hospitalEpsilon: Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, 0.25 * Double(r) + 0.01 * Double($0)) }),
                                       federationEpsilon: nil, noiseMultiplier: 2.97, clipNorm: 1, seconds: 0.5,
                                       trainingSeconds: 0.4, aggregationSeconds: 0.01)
            kinds += [(r, .phaseChanged(.checkpointing)),
                      (r, .checkpointWritten(path: checkpointDirectory + "/round-\(String(format: "%04d", r)).ckpt")),
                      (r, .roundCompleted(summary))]
        }
        kinds += [(10, .membershipAudit(MembershipAuditSnapshot(attack: "loss-threshold", auc: 0.531, tprAt1Percent: 0.012, members: 400))),
                  (10, .warning("hospital-2 answered slowly: its update arrived 3.2 s after the others (deadline 5 s)")),
                  (10, .commandApplied(.pause, effect: "paused after round 10")),
                  (10, .commandRefused(.step, reason: "step works while paused")),
                  (11, .phaseChanged(.selecting)),
                  (11, .roundStarted(selected: names, settings: RoundSettings(round: 11, localEpochs: 1, batchSize: 64, learningRate: 0.05,
                                                                               momentum: 0.9, samplePrivacy: .init(noiseMultiplier: 2.97, clipNorm: 1)))),
                  (11, .phaseChanged(.training(reported: 1, selected: count))),
                  (11, .updateRejected(hospital: "hospital-2", reason: "update norm 912.0 exceeds the bound 100.0 (not aggregated)")),
                  (11, .updateRejected(hospital: "hospital-3", reason: "update arrived after the round's deadline"))]
        return kinds.enumerated().map { i, k in EngineEvent(time: 600 + Double(i) * 0.1, wallTime: 1_700_000_000 + Double(i) * 0.1, round: k.0, kind: k.1) }
    }

    /// The view with a pending σ (2.97 → 3.59) and its projection.
    static func view(hospitals count: Int) -> ConsoleView {
        var m = DashboardModel(facts: FederationFacts(hospitals: names(count).map {
            .init(name: $0, location: $0 == "hospital-3" ? "10.0.0.3:7441" : "local", records: 533, testRecords: 134)
        }, privacy: .sample))
        for e in events(hospitals: count) { m.apply(e) }
        m.forecast = PrivacyForecast(finalEpsilon: 2.99, budget: 3, roundsLeft: 20, limitingParty: "hospital-3")
        var c = ConsoleController()
        for _ in 0..<2 { _ = c.handle(.character("+"), model: m) }
        return ConsoleView(model: m, controller: c, pendingForecast: PrivacyForecast(finalEpsilon: 2.41, budget: 3, roundsLeft: 20, limitingParty: nil),
                           themeName: "default")
    }
}
