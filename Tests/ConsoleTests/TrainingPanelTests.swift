@testable import Console
import Federation
import Foundation
import Testing

@Suite("The training panel: axes, marks, the baseline, markers and the ε chart; snapshots at three sizes")
struct TrainingPanelTests {
    static let sizes = [(80, 24), (120, 36), (200, 50)]

    /// The scenario with a majority-class baseline, a projected ε path and a pending σ with its own path.
    static var view: ConsoleView {
        var facts = Scenario.facts
        facts.majorityBaseline = 0.67
        var m = DashboardModel(facts: facts)
        for e in Scenario.events { m.apply(e) }
        m.forecast = PrivacyForecast(finalEpsilon: 2.95, budget: 3, roundsLeft: 26, limitingParty: "hospital-2")
        var view = ConsoleView(model: m)
        view.forecastPath = (4...30).map { EpsilonPoint(round: $0, epsilon: 1.22 + (2.95 - 1.22) * sqrt(Double($0 - 3) / 27)) }
        _ = view.controller.handle(.character("+"), model: m)
        view.pendingForecast = PrivacyForecast(finalEpsilon: 2.61, budget: 3, roundsLeft: 30, limitingParty: nil)
        view.pendingPath = (4...30).map { EpsilonPoint(round: $0, epsilon: 1.22 + (2.61 - 1.22) * sqrt(Double($0 - 3) / 27)) }
        return view
    }

    func render(_ view: ConsoleView, _ w: Int, _ h: Int, _ variant: Snapshot.Variant) -> (Screen, Rect) {
        (Snapshot.render(view, width: w, height: h, variant), Layout(width: w, height: h).training)
    }

    @Test("the training panel matches its fixture at 80×24, 120×36 and 200×50", arguments: Snapshot.Variant.allCases)
    func snapshots(variant: Snapshot.Variant) throws {
        for (w, h) in Self.sizes {
            let (screen, rect) = render(Self.view, w, h, variant)
            var panel = Screen(width: rect.width, height: rect.height)
            for y in 0..<rect.height { for x in 0..<rect.width { panel[x, y] = screen[rect.x + x, rect.y + y] } }
            try Snapshot.check(Snapshot.serialize(panel, attributes: variant == .mono), named: "training-\(w)x\(h)-\(variant)")
        }
    }

    @Test("every size labels the rounds (first and last), the loss axis and the latest change", arguments: Snapshot.Variant.allCases)
    func labels(variant: Snapshot.Variant) {
        let ascii = variant == .ascii
        for (w, h) in Self.sizes {
            let (screen, rect) = render(Self.view, w, h, variant)
            let text = screen.text(rect)
            let lines = (rect.y..<rect.maxY).map { String(screen.line($0).dropFirst(rect.x).prefix(rect.width)) }
            let axis = try! #require(lines.first { $0.contains("rnd") || $0.contains("round") }, "an x axis at \(w)×\(h)")
            let numbers = axis.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            #expect(numbers.first == 1 && numbers.last == 30, "\(w)×\(h): \(axis)")
            #expect(text.contains("train 1.100") || text.contains("train loss 1.100"), "\(w)×\(h)")
            #expect(text.contains(ascii ? "^ sigma 1.1->1.21 r4" : "▲ σ 1.1→1.21 r4"), "\(w)×\(h)\n\(text)")
        }
    }

    @Test("where all fit (120×36 and up), loss, accuracy with its baseline and ε are all shown, each with its own legend")
    func tallShowsAll() {
        for (w, h) in [(120, 36), (200, 50)] {
            let (screen, rect) = render(Self.view, w, h, .unicode)
            let text = screen.text(rect)
            #expect(text.contains("eval loss 1.350") && text.contains("accuracy 0.740") && text.contains("baseline 0.67"))
            // The loss axis is fitted to the losses (1.1…1.85): from 1.00 to 2.00, not from 0.
            #expect(text.contains("2.00┤") && text.contains("1.00┤"), "\(w)×\(h)\n\(text)")
            // In full words where they fit, else in their short forms — never left out.
            #expect(text.contains("ε spent 1.22") && text.contains("budget 3.00") && text.contains("final 2.95") && text.contains("σ 1.33: 2.61")
                    || text.contains("ε 1.22") && text.contains("max 3.00") && text.contains("final 2.95") && text.contains("σ1.33:2.61"), "\(w)×\(h)\n\(text)")
        }
    }

    @Test("at 80×24, g moves the panel from loss to accuracy to the ε chart and back")
    func toggle() {
        var view = Self.view
        let rect = Layout(width: 80, height: 24).training
        func shown() -> String { render(view, 80, 24, .unicode).0.text(rect) }
        #expect(shown().contains("train loss 1.100") && !shown().contains("accuracy 0.740") && !shown().contains("budget"))
        #expect(view.controller.handle(.character("g"), model: view.model).isEmpty)
        #expect(shown().contains("accuracy 0.740") && shown().contains("baseline 0.67") && !shown().contains("train loss"))
        _ = view.controller.handle(.character("g"), model: view.model)
        #expect((shown().contains("budget 3.00") && shown().contains("ε spent 1.22") || shown().contains("max 3.00") && shown().contains("ε 1.22"))
                && !shown().contains("accuracy"), "\(shown())")
        _ = view.controller.handle(.character("g"), model: view.model)
        #expect(view.controller.chart == .training)
    }

    @Test("the baseline is a dotted line at its value on the accuracy axis, and drawn only when known")
    func baseline() {
        let (screen, rect) = render(Self.view, 200, 50, .ascii)
        let dots = (rect.y..<rect.maxY).filter { y in (rect.x..<rect.maxX).filter { screen[$0, y].scalar == "." }.count >= 10 }
        #expect(dots.count == 1, "one dotted row for the baseline")
        var plain = Self.view
        plain.model.facts.majorityBaseline = nil
        let (without, _) = render(plain, 200, 50, .ascii)
        #expect(!without.text(rect).contains("baseline"))
        #expect(!(rect.y..<rect.maxY).contains { y in (rect.x..<rect.maxX).filter { without[$0, y].scalar == "." }.count >= 10 })
    }

    @Test("the ε chart draws the budget as a horizontal line above the spent ε, and the pending path where the current one is not")
    func epsilonChart() {
        let (screen, rect) = render(Self.view, 200, 50, .ascii)
        let budgetRows = (rect.y..<rect.maxY).filter { y in (rect.x..<rect.maxX).filter { screen[$0, y].scalar == "-" && screen[$0, y].style.role == .critical }.count >= 5 }
        #expect(budgetRows.count == 1)
        let spentRows = (rect.y..<rect.maxY).filter { y in !screen.line(y).contains("spent") && (rect.x..<rect.maxX).contains { screen[$0, y].style.role == .highlight && screen[$0, y].scalar == "*" } }
        #expect(!spentRows.isEmpty && spentRows.allSatisfy { $0 > budgetRows[0] }, "ε spent 1.22 is drawn below the budget 3")
        let pending = screen.cells.filter { $0.style.role == .marker && $0.scalar == "+" }
        let current = screen.cells.filter { $0.style.role == .dim && $0.scalar == "o" }
        #expect(!pending.isEmpty && !current.isEmpty, "both projected paths are drawn")
        // Without a pending change, no pending path.
        var view = Self.view
        _ = view.controller.handle(.escape, model: view.model)
        view.pendingForecast = nil
        view.pendingPath = []
        let (calm, _) = render(view, 200, 50, .ascii)
        #expect(!calm.cells.contains { $0.style.role == .marker && $0.scalar == "+" })
    }

    @Test("a change's label says what the value was and became, with digits enough to tell them apart")
    func changeLabels() {
        let g = Glyphs.unicode
        #expect(TrainingPanel.label(SettingChange(round: 8, setting: .learningRate, value: 0.05 / 1.1, previous: 0.05), glyphs: g) == "lr 0.05→0.0455 r8")
        #expect(TrainingPanel.label(SettingChange(round: 8, setting: .noise, value: 1.3, previous: 1.1), glyphs: g) == "σ 1.1→1.3 r8")
        #expect(TrainingPanel.label(SettingChange(round: 3, setting: .clip, value: 1.0001, previous: 1), glyphs: g) == "C 1→1.0001 r3")
        #expect(TrainingPanel.label(SettingChange(round: 3, setting: .clip, value: 1.2), glyphs: g) == "C 1.2 r3")
    }

    @Test("the model records the value a change replaced, and the headline ε after each round")
    func modelRecords() {
        let m = Scenario.model
        #expect(m.changes.last == SettingChange(round: 4, setting: .noise, value: 1.21, previous: 1.1))
        #expect(m.epsilonByRound.map(\.round) == [1, 2, 3])
        #expect(m.epsilonByRound.map(\.epsilon).enumerated().allSatisfy { i, e in abs(e - (0.4 * Double(i + 1) + 0.02)) < 1e-9 })
    }
}

@Suite("The accuracy axis")
struct AccuracyAxisTests {
    @Test("a flat accuracy is drawn on at least 0.2 of axis, so noise does not look like learning")
    func minimumSpan() {
        var m = DashboardModel(facts: Scenario.facts)
        for e in Scenario.events { m.apply(e) }
        let plot = TrainingPanel.accuracyPlot(m)
        #expect(plot.scale.range.upperBound - plot.scale.range.lowerBound >= 0.2 - 1e-9, "\(plot.scale.range)")
    }
}
