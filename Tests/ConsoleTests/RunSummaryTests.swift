import Console
import Federation
import Testing

@Suite("RunSummary: the run's final figures in plain words")
struct RunSummaryTests {
    static func ended(_ outcome: RunOutcome, baseline: Double? = 0.67) -> DashboardModel {
        var facts = Scenario.facts
        facts.majorityBaseline = baseline
        var m = DashboardModel(facts: facts)
        for e in Scenario.events { m.apply(e) }
        m.apply(EngineEvent(time: 9, wallTime: 0, round: 4, kind: .runFinished(outcome)))
        return m
    }

    @Test("how it ended, rounds, accuracy beside the baseline, ε per hospital against the budget, settings and changes, the folder")
    func figures() {
        let s = RunSummary(Self.ended(.budgetExhausted), directory: "/runs/demo")
        #expect(s.headline == "stopped at the privacy budget after round 3 of 30")
        let text = s.lines.joined(separator: "\n")
        #expect(text.contains("accuracy 0.740 (always answering the most common diagnosis scores 0.670, +7.0 points)"), "\(text)")
        #expect(text.contains("hospital-1 1.20 / 3.00") && text.contains("hospital-3 1.22 / 3.00"), "\(text)")
        #expect(text.contains("noise σ 1.21") && text.contains("learning rate 0.05"), "\(text)")
        #expect(text.contains("σ 1.10 → 1.21 from round 4"), "\(text)")
        #expect(text.contains("/runs/demo"))
    }

    @Test("ε is rounded up, never down: 1.2000001 reads 1.21; a model that does not beat the baseline says so")
    func neverUnderStated() {
        #expect(RunSummary.up(1.2000001) == "1.21" && RunSummary.up(0.4 * 3) == "1.20" && RunSummary.up(2.999) == "3.00")
        #expect(RunSummary.up(0) == "0.00" && RunSummary.up(1e-12) == "0.01", "nothing spent reads 0.00; a tiny spend is not 0")
        var m = Self.ended(.finished, baseline: 0.9)
        let s = RunSummary(m)
        #expect(s.lines[0].contains("the model does not beat it"), "\(s.lines[0])")
        #expect(s.headline == "finished: 3 of 30 rounds")
        m = Self.ended(.stopped, baseline: nil)
        #expect(RunSummary(m).lines[0] == "accuracy 0.740")
        #expect(RunSummary(m).headline.hasPrefix("stopped by the operator after round 3"))
    }
}
