import Console
import Federation
import Testing

@Suite("Panels on the virtual screen: snapshots at 80×24 and 160×48, Unicode, ASCII and monochrome")
struct PanelSnapshotTests {
    static let sizes = [(80, 24), (160, 48)]

    static var view: ConsoleView {
        var c = ConsoleController()
        c.selectedHospital = 1
        return ConsoleView(model: Scenario.model, controller: c, themeName: "default")
    }

    @Test("the whole dashboard matches its fixture", arguments: Snapshot.Variant.allCases)
    func dashboard(variant: Snapshot.Variant) throws {
        for (w, h) in Self.sizes {
            let screen = Snapshot.render(Self.view, width: w, height: h, variant)
            try Snapshot.check(Snapshot.serialize(screen, attributes: variant == .mono), named: "dashboard-\(w)x\(h)-\(variant)")
        }
    }

    @Test("each panel holds its tokens, inside its own rectangle", arguments: Snapshot.Variant.allCases)
    func panelTokens(variant: Snapshot.Variant) {
        let ascii = variant == .ascii
        for (w, h) in Self.sizes {
            let screen = Snapshot.render(Self.view, width: w, height: h, variant)
            let layout = Dashboard.layout(Self.view, width: w, height: h, context: variant.context)
            func panel(_ r: Rect) -> String { screen.text(r) }
            #expect(panel(layout.header).contains("Round 4/30"))
            #expect(panel(layout.header).contains("TRAINING 1/2"))
            #expect(panel(layout.header).contains("lesions-lesioncnn"))
            #expect(panel(layout.training).contains("train loss 1.100"))
            if h >= 32 { #expect(panel(layout.training).contains("accuracy 0.740")) }
            #expect(panel(layout.training).contains(ascii ? "^ sigma 1.1->1.21 r4" : "▲ σ 1.1→1.21 r4"))
            let privacy = panel(layout.privacy)
            #expect(privacy.contains(ascii ? "eps 1.22 / 3.00" : "ε 1.22 / 3.00"))
            #expect(privacy.contains(ascii ? "sigma 1.21" : "σ 1.21"))
            #expect(privacy.contains(ascii ? "final eps 2.95" : "final ε 2.95"))
            #expect(privacy.contains("rounds left 26"))
            // The learning rate is shown; q when it fits beside it (ASCII's "sigma" leaves it out at 80 columns).
            #expect(privacy.contains("C 1.00") && privacy.contains("lr 0.05") && (privacy.contains("q 0.120") || ascii))
            let aggregator = panel(layout.aggregator)
            #expect(aggregator.contains("aggregate") && aggregator.contains("updates 1/2") && aggregator.contains("fedavg"))
            let hospitals = panel(layout.hospitals)
            #expect(hospitals.contains("hospital-3") && hospitals.contains("dropped") && hospitals.contains("rejected"))
            #expect(panel(layout.log).contains("hospital-2: update rejected"))
            #expect(panel(layout.footer).contains("quit"))
            if ascii {
                #expect(screen.cells.allSatisfy { $0.scalar.map { $0.isASCII } ?? true }, "ASCII mode draws only ASCII")
            } else {
                #expect(screen.cells.contains { ($0.scalar?.value ?? 0) >= 0x2800 && ($0.scalar?.value ?? 0) <= 0x28ff }, "braille chart")
            }
        }
    }

    @Test("in monochrome, the active phase and the selected row are marked without colour")
    func monochromeMarks() {
        let screen = Snapshot.render(Self.view, width: 160, height: 48, .mono)
        #expect(screen.contains("[train]"))
        let layout = Dashboard.layout(Self.view, width: 160, height: 48, context: RenderContext())
        let row = (layout.hospitals.y..<layout.hospitals.maxY).first { screen.line($0).contains("hospital-2") }
        let y = try! #require(row)
        #expect((0..<screen.width).contains { screen[$0, y].style.reverse })
    }

    @Test("a pending σ shows the projected final ε for the new value beside the current one")
    func pendingProjection() {
        var view = Self.view
        _ = view.controller.handle(.character("+"), model: view.model)
        view.pendingForecast = PrivacyForecast(finalEpsilon: 2.61, budget: 3, roundsLeft: 30, limitingParty: nil)
        for variant in Snapshot.Variant.allCases {
            let screen = Snapshot.render(view, width: 80, height: 24, variant)
            let privacy = screen.text(Dashboard.layout(view, width: 80, height: 24, context: variant.context).privacy)
            let (eps, arrow, sigma) = variant == .ascii ? ("eps", "->", "sigma") : ("ε", "→", "σ")
            #expect(privacy.contains("final \(eps) 2.95 \(arrow) 2.61"), "\(privacy)")
            #expect(privacy.contains("rounds left 26 \(arrow) 30"))
            #expect(privacy.contains("pending \(sigma) 1.21 \(arrow) 1.33"))
        }
    }

    @Test("overlays: help lists every key, the quit confirmation asks, the detail view shows the hospital")
    func overlays() throws {
        var view = Self.view
        view.controller.showHelp = true
        for (w, h) in Self.sizes {
            let screen = Snapshot.render(view, width: w, height: h, .unicode)
            for b in KeyMap.bindings { #expect(screen.contains(b.help), "\(b.keys)") }
        }
        try Snapshot.check(Snapshot.serialize(Snapshot.render(view, width: 80, height: 24, .ascii), attributes: false), named: "help-80x24-ascii")
        view.controller.showHelp = false
        view.controller.confirmingQuit = true
        let quit = Snapshot.render(view, width: 80, height: 24, .unicode)
        #expect(quit.contains("Quit?") && quit.contains("saves its checkpoint"))
        view.controller.confirmingQuit = false
        view.controller.showDetail = true
        let detail = Snapshot.render(view, width: 160, height: 48, .unicode)
        #expect(detail.contains("last problem: update norm 912.0 exceeds 100.0"))
        try Snapshot.check(Snapshot.serialize(detail, attributes: false), named: "detail-160x48-unicode")
    }

    @Test("the detail view shows the hospital's own privacy policy, as its Hello announced it, and adversarial training where it is on")
    func detailShowsPolicy() {
        let facts = FederationFacts(hospitals: [
            .init(name: "alice", location: "127.0.0.1:7441", records: 150, testRecords: 38, policy: "DP-SGD required, σ ≥ 0.8, ε/round ≤ 0.5"),
            .init(name: "hospital-2", location: "local", records: 150, testRecords: 38,
                  training: "adversarial pgd:0.1:3, 50 % of records"),
        ], privacy: .sample)
        var c = ConsoleController()
        c.showDetail = true
        let alice = Snapshot.render(ConsoleView(model: DashboardModel(facts: facts), controller: c, themeName: "default"),
                                    width: 160, height: 48, .unicode)
        #expect(alice.contains("policy: DP-SGD required, σ ≥ 0.8, ε/round ≤ 0.5"))
        c.selectedHospital = 1
        let local = Snapshot.render(ConsoleView(model: DashboardModel(facts: facts), controller: c, themeName: "default"),
                                    width: 160, height: 48, .unicode)
        #expect(!local.contains("policy:"))
        #expect(local.contains("training: adversarial pgd:0.1:3, 50 % of records"))
        #expect(!alice.contains("training:"))
    }

    @Test("a terminal below 80×24 says so; sizes between adapt without overlapping panels",
          arguments: [(79, 24), (80, 23), (40, 10)])
    func tooSmall(size: (Int, Int)) {
        let screen = Snapshot.render(Self.view, width: size.0, height: size.1, .unicode)
        #expect(screen.contains("Terminal too small"))
        #expect(!screen.contains("Round 4/30"))
    }

    @Test("layouts tile the screen from 80×24 to 250×70", arguments: [(80, 24), (100, 30), (119, 40), (120, 32), (160, 48), (250, 70)])
    func layoutTiles(size: (Int, Int)) {
        let layout = Layout(width: size.0, height: size.1)
        var covered = [Int](repeating: 0, count: size.0 * size.1)
        for (_, r) in layout.panels {
            #expect(r.x >= 0 && r.y >= 0 && r.maxX <= size.0 && r.maxY <= size.1)
            for y in r.y..<r.maxY { for x in r.x..<r.maxX { covered[y * size.0 + x] += 1 } }
        }
        #expect(covered.allSatisfy { $0 == 1 }, "every cell belongs to exactly one panel")
        #expect(layout.hospitals.height >= 6 && layout.log.height >= 3)
    }

    @Test("the screen is width-aware: Greek and braille take one cell, wide characters two")
    func widths() {
        var s = Screen(width: 10, height: 1)
        #expect(s.put("εσ⣿δ", x: 0, y: 0) == 4)
        #expect(s.put("漢", x: 4, y: 0) == 2)
        #expect(s[5, 0].scalar == nil)
        #expect(s.line(0) == "εσ⣿δ漢    ")
        s.put("ab", x: 5, y: 0)
        #expect(s.line(0).hasPrefix("εσ⣿δ ab"))
        var previous = s
        previous.set("x", x: 9, y: 0)
        #expect(s.changes(since: previous) == [9])
    }
}
