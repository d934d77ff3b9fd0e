import Console
import Federation
import Privacy
import Testing

@Suite("DashboardModel reduces the engine's events")
struct DashboardModelTests {
    @Test("a scripted run: rounds, phase, settings, per-hospital rows, log")
    func scriptedRun() {
        let m = Scenario.model
        #expect(m.run?.name == "lesions-lesioncnn")
        #expect(m.plannedRounds == 30)
        #expect(m.round == 4)
        #expect(m.points.map(\.round) == [1, 2, 3])
        #expect(m.phase == .training(reported: 1, selected: 2))
        #expect(m.stateWords == "TRAINING 1/2")
        #expect(m.noiseMultiplier == 1.21)
        #expect(m.clipNorm == 1)
        #expect(m.changes.map(\.round) == [4] && m.changes.first?.setting == .noise)
        #expect(m.hospitals.map(\.name) == ["hospital-1", "hospital-2", "hospital-3"])
        #expect(m.hospitals[2].dropped && m.hospitals[2].status == .dropped && m.hospitals[2].location == "remote")
        #expect(m.hospitals[1].status == .rejected && m.rejected.first?.reason.contains("norm") == true)
        #expect(m.hospitals[0].status == .training && abs(m.hospitals[0].progress - 3.0 / 8) < 1e-9)
        #expect(abs((m.epsilonSpent ?? 0) - 1.22) < 1e-9)
        #expect(m.sampleRate.map { abs($0 - 64.0 / 533) < 1e-9 } == true)
        #expect(m.log.entries.contains { $0.kind == .command && $0.text.contains("σ 1.210") })
        #expect(m.logEntries(matching: "priv").isEmpty)
        #expect(m.logEntries(matching: "command").count == 2)
        #expect(m.logEntries(matching: "rejected").count == 1)
        #expect(m.lastCheckpoint == "runs/demo/model.safetensors")
    }

    @Test("a remote hospital that loses its connection reads offline until it is attached again, across round starts")
    func connection() {
        var m = Scenario.model
        m.apply(EngineEvent(time: 9, wallTime: 0, round: 4,
                            kind: .hospitalConnection(hospital: "hospital-2", connected: false, detail: "unavailable")))
        #expect(m.hospitals[1].offline && m.hospitals[1].note == "unavailable")
        // An update already on its way arrives after the loss: delivered, still offline.
        m.apply(EngineEvent(time: 9.5, wallTime: 0, round: 4, kind: .updateReceived(hospital: "hospital-2", trainLoss: 0.5,
                                                                                  clippedFraction: 0, epsilon: 1.3, seconds: 0.1)))
        #expect(m.hospitals[1].offline && m.hospitals[1].status == .delivered)
        m.apply(EngineEvent(time: 10, wallTime: 0, round: 5, kind: .roundStarted(selected: ["hospital-1"], settings: Scenario.settings(5, sigma: 1.21))))
        #expect(m.hospitals[1].offline)
        m.apply(EngineEvent(time: 11, wallTime: 0, round: 5,
                            kind: .hospitalConnection(hospital: "hospital-2", connected: true, detail: "attached again")))
        #expect(!m.hospitals[1].offline && m.hospitals[1].note == nil)
        #expect(m.logEntries(matching: "offline").count == 1 && m.logEntries(matching: "attached again").count == 1)
    }

    @Test("settings change only when the engine applies them; awaiting commands clear on the answer")
    func appliedNotRequested() {
        var m = Scenario.model
        m.noteSent(.setSampleNoise(try! SampleNoiseMultiplier(2)))
        #expect(m.noiseMultiplier == 1.21)
        #expect(m.awaiting == [.setSampleNoise(try! SampleNoiseMultiplier(2))])
        m.apply(EngineEvent(time: 9, wallTime: 0, round: 4, kind: .commandRefused(.setSampleNoise(try! SampleNoiseMultiplier(2)), reason: "no")))
        #expect(m.noiseMultiplier == 1.21 && m.awaiting.isEmpty)
        #expect(m.lastCommandResult?.hasPrefix("refused") == true)
        m.noteSent(.pause)
        #expect(m.stateWords.hasSuffix("PAUSING"))
        m.apply(EngineEvent(time: 10, wallTime: 0, round: 4, kind: .commandApplied(.pause, effect: "paused after round 4")))
        m.apply(EngineEvent(time: 10, wallTime: 0, round: 4, kind: .phaseChanged(.paused)))
        #expect(m.paused && m.stateWords == "PAUSED" && m.eta == nil)
        m.apply(EngineEvent(time: 11, wallTime: 0, round: 4, kind: .commandApplied(.resume, effect: "resumed")))
        #expect(!m.paused)
    }

    @Test("the run's end names the outcome; budget exhaustion reads BUDGET EXHAUSTED")
    func outcome() {
        var m = Scenario.model
        m.apply(EngineEvent(time: 9, wallTime: 0, round: 4, kind: .hospitalBudgetExhausted(hospital: "hospital-1", spent: 2.99, budget: 3)))
        m.apply(EngineEvent(time: 9, wallTime: 0, round: 4, kind: .phaseChanged(.budgetExhausted)))
        #expect(m.stateWords == "BUDGET EXHAUSTED")
        m.apply(EngineEvent(time: 9, wallTime: 0, round: 4, kind: .runFinished(.budgetExhausted)))
        #expect(m.outcome == .budgetExhausted && m.stateWords == "BUDGET EXHAUSTED")
        #expect(m.hospitals[0].status == .exhausted)
        #expect(m.logEntries(matching: "privacy").count == 1)
    }

    @Test("the log ring keeps the newest entries up to its capacity")
    func ring() {
        var ring = LogRing(capacity: 3)
        for i in 1...5 { ring.append(LogEntry(time: Double(i), round: i, kind: .round, text: "\(i)")) }
        #expect(ring.entries.map(\.text) == ["3", "4", "5"])
        #expect(ring.total == 5)
    }
}

@Suite("The audit view: live membership inference and a malicious hospital's influence")
struct AuditViewTests {
    static func influence(_ relative: Double) -> EngineEvent.Kind {
        .influence([HospitalInfluence(hospital: "hospital-3", malicious: true, change: relative, relative: relative),
                    HospitalInfluence(hospital: "hospital-1", malicious: false, change: 1, relative: 1)])
    }

    @Test("the influence event marks the hospital malicious, keeps the verdict, and logs only when it changes")
    func influence() {
        var m = Scenario.model
        let before = m.log.entries.count
        m.apply(EngineEvent(time: 20, wallTime: 0, round: 6, kind: Self.influence(1.9)))
        m.apply(EngineEvent(time: 21, wallTime: 0, round: 7, kind: Self.influence(2.1)))
        #expect(m.hospitals.first { $0.name == "hospital-3" }?.malicious == true)
        #expect(m.log.entries.count == before + 1)
        #expect(m.log.entries.last?.text.contains("pulls") == true)
        m.apply(EngineEvent(time: 22, wallTime: 0, round: 8, kind: Self.influence(0.1)))
        #expect(m.log.entries.count == before + 2)
        #expect(m.log.entries.last?.text.contains("contained") == true)
        #expect(HospitalInfluence.verdict(1.0) == "as honest" && HospitalInfluence.verdict(nil) == "unmeasured")
    }

    @Test("the aggregator panel's audit lines carry the latest AUC and the verdict")
    func lines() {
        var m = Scenario.model
        m.apply(EngineEvent(time: 20, wallTime: 0, round: 6,
                            kind: .membershipAudit(MembershipAuditSnapshot(attack: "loss-threshold", auc: 0.61, tprAt1Percent: 0.04, members: 300))))
        m.apply(EngineEvent(time: 20, wallTime: 0, round: 6, kind: Self.influence(0.0)))
        let lines = AggregatorPanel.auditLines(m).map(\.text)
        #expect(lines == ["audit MIA AUC 0.610 TPR@1% 0.040", "hospital-3 0.0× honest: contained"])
        #expect(m.membershipHistory == [0.61])
    }
}

@Suite("Federated dropout in the aggregator panel")
struct CommunicationViewTests {
    static func completed(_ c: RoundCommunication) -> EngineEvent {
        var s = Scenario.summary(4, sigma: 1.21)
        s.communication = c
        return EngineEvent(time: 30, wallTime: 0, round: 4, kind: .roundCompleted(s))
    }

    @Test("the panel shows the model bytes a round moved and the share federated dropout keeps; a full model shows no share")
    func shown() {
        var m = Scenario.model
        m.apply(Self.completed(RoundCommunication(parameters: 1058, fullParameters: 2114, selected: 3, delivered: 3)))
        let text = Snapshot.render(ConsoleView(model: m), width: 120, height: 36, .unicode).text()
        #expect(text.contains("model 25.4 kB/round"))
        #expect(text.contains("dropout keeps 50%"))
        m.apply(Self.completed(RoundCommunication(parameters: 2114, fullParameters: 2114, selected: 3, delivered: 3)))
        let full = Snapshot.render(ConsoleView(model: m), width: 120, height: 36, .unicode).text()
        #expect(full.contains("model 50.7 kB/round") && !full.contains("dropout keeps"))
        #expect(AggregatorPanel.byteCount(999) == "999 B" && AggregatorPanel.byteCount(4_100_000) == "4.1 MB")
    }

    @Test("figures that cannot be true (from a recording) are not shown, and nothing overflows")
    func refused() {
        var m = Scenario.model
        var bad = RoundCommunication(parameters: 10, fullParameters: 20, selected: 1, delivered: 1)
        bad.bytesDown = Int.max
        bad.bytesUp = Int.max
        m.apply(Self.completed(bad))
        #expect(m.communication == nil)
        let text = Snapshot.render(ConsoleView(model: m), width: 120, height: 36, .unicode).text()
        #expect(!text.contains("kB/round"))
    }
}
