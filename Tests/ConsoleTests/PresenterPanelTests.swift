import Console
import Federation
import Testing

@Suite("Presenter view: big figures in plain words, the story per round, the final summary screen")
struct PresenterPanelTests {
    static func view(finished: RunOutcome? = nil) -> ConsoleView {
        var facts = Scenario.facts
        facts.majorityBaseline = 0.67
        var m = DashboardModel(facts: facts)
        for e in Scenario.events { m.apply(e) }
        if let finished { m.apply(EngineEvent(time: 9, wallTime: 0, round: 4, kind: .runFinished(finished))) }
        m.forecast = PrivacyForecast(finalEpsilon: 2.95, budget: 3, roundsLeft: 26, limitingParty: "hospital-2")
        var c = ConsoleController()
        c.presenter = true
        return ConsoleView(model: m, controller: c, themeName: "default")
    }

    @Test("at 80×24, 120×36 and 200×50: accuracy beside the guess, ε against its budget in words, σ explained, the story", arguments: [(80, 24), (120, 36), (200, 50)])
    func plainWords(size: (Int, Int)) throws {
        let screen = Snapshot.render(Self.view(), width: size.0, height: size.1, .unicode)
        let text = screen.text()
        // Fragments that stay on one line at every size (the sentences wrap).
        #expect(text.contains("right 74 times in 100"), "\(text)")
        #expect(text.contains("diagnosis: 67 in 100"), "\(text)")
        #expect(text.contains("ε is how much any one patient"), "\(text)")
        #expect(text.contains("Round 3: right 74 in 100,") && text.contains("privacy spent ε 1.22"), "\(text)")
        #expect(text.contains("Round 4 of 30"))
        #expect(!text.contains("eval loss"), "the presenter leaves the loss to the operator's view")
        try Snapshot.check(Snapshot.serialize(screen, attributes: false), named: "presenter-\(size.0)x\(size.1)-unicode")
    }

    @Test("no visible word is cut in the presenter view, Unicode and ASCII")
    func noCutWords() {
        for variant in [Snapshot.Variant.unicode, .ascii] {
            for (w, h) in LayoutTests.sizes {
                let cut = LayoutTests.cutWords(Self.view(), width: w, height: h, variant)
                #expect(cut.isEmpty, "\(w)×\(h) \(variant): \(cut)")
            }
        }
    }

    @Test("at 120×36 the figures are drawn big (three rows of blocks)")
    func bigFigures() {
        let screen = Snapshot.render(Self.view(), width: 120, height: 36, .unicode)
        let blockRows = (0..<screen.height).filter { y in screen.line(y).filter { "█▀▄".contains($0) }.count >= 10 }
        #expect(blockRows.count >= 3, "accuracy and ε, three rows each, side by side")
    }

    @Test("P switches between the operator's and the presenter's views; --present starts in the presenter's")
    func toggle() {
        var c = ConsoleController()
        #expect(!c.presenter)
        #expect(c.handle(.character("P"), model: Self.view().model).isEmpty)
        #expect(c.presenter)
        _ = c.handle(.character("P"), model: Self.view().model)
        #expect(!c.presenter)
    }

    @Test("once the run is over, the final summary screen: how it ended, accuracy vs the guess, ε per hospital, what changed")
    func finalSummary() throws {
        let screen = Snapshot.render(Self.view(finished: .budgetExhausted), width: 120, height: 36, .unicode)
        let text = screen.text()
        #expect(text.contains("The run is over"))
        #expect(text.contains("stopped at the privacy budget after round 3 of 30"), "\(text)")
        #expect(text.contains("accuracy 0.740") && text.contains("hospital-2 1.21 / 3.00"), "\(text)")
        #expect(text.contains("changed during the run"))
        try Snapshot.check(Snapshot.serialize(screen, attributes: false), named: "presenter-final-120x36-unicode")
    }

    @Test("the story tells each round and each change in words")
    func story() {
        let lines = PresenterPanel.storyLines(Self.view().model)
        #expect(lines.first == "Round 1: right 58 in 100, privacy spent ε 0.42 of 3.00", "\(lines)")
        #expect(lines.contains { $0.contains("the operator") && $0.contains("noise to 1.21 from round 4") }, "\(lines)")
    }
}
