import Console
import Federation
import Testing

/// Words on screen are whole or end in an ellipsis: the vocabulary is what the same view shows on a
/// screen big enough for everything (and the texts the model holds); a token at a real size that
/// is a strict prefix of a word of the vocabulary, is not itself a word of it and does not end in
/// the ellipsis was cut.
@Suite("Layout: no word is cut at 80×24, 120×36 and 200×50; spare columns go to the log")
struct LayoutTests {
    static let sizes = [(80, 24), (120, 36), (200, 50)]

    /// The screen's words: runs of text between spaces, borders, gauges, chart dots and marks; runs
    /// without a letter or digit (ASCII borders, gauges and chart marks) are not words.
    static func tokens(_ screen: Screen) -> [String] {
        (0..<screen.height).flatMap { y in
            screen.line(y).split { c in
                c.unicodeScalars.allSatisfy { s in
                    s == " " || s == "|" || (0x2500...0x259f).contains(s.value) || (0x2800...0x28ff).contains(s.value) || "▶▲·".unicodeScalars.contains(s)
                }
            }.map { token in
                // A word and the same word before a comma or colon are one word ("0.740" beside "0.740,").
                var word = String(token)
                while let last = word.last, ",;:".contains(last), word.count > 1 { word.removeLast() }
                return word
            }.filter { $0.contains { $0.isLetter || $0.isNumber } }
        }
    }

    /// Tokens that look cut: a strict prefix of a known word, not known itself, not ending in the ellipsis.
    static func cutWords(_ view: ConsoleView, width: Int, height: Int, _ variant: Snapshot.Variant) -> [String] {
        let ellipsis = variant == .ascii ? "..." : "…"
        var known = Set(tokens(Snapshot.render(view, width: 400, height: 140, variant)))
        let texts = view.model.logEntries(matching: "").map(\.text) + view.model.hospitals.map(\.name)
            + [view.model.run?.name, view.model.run?.dataset, view.model.run?.model, view.model.lastCommandResult].compactMap { $0 }
        for text in texts { known.formUnion(text.split(separator: " ").map { variant.context.text(String($0)) }) }
        let words = known.filter { $0.count >= 3 }
        let screen = Snapshot.render(view, width: width, height: height, variant)
        return tokens(screen).filter { t in
            !known.contains(t) && !t.contains(ellipsis) && words.contains { $0 != t && $0.hasPrefix(t) }
        }
    }

    @Test("no visible word is cut, with 3 and 12 hospitals, in Unicode and ASCII",
          arguments: [3, 12], [Snapshot.Variant.unicode, .ascii])
    func noCutWords(hospitals: Int, variant: Snapshot.Variant) {
        let view = RichScenario.view(hospitals: hospitals)
        for (w, h) in Self.sizes {
            let cut = Self.cutWords(view, width: w, height: h, variant)
            #expect(cut.isEmpty, "\(w)×\(h), \(hospitals) hospitals, \(variant): cut \(cut)")
        }
    }

    @Test("the crowded scenario matches its fixtures at the three sizes", arguments: [3, 12])
    func fixtures(hospitals: Int) throws {
        for (w, h) in Self.sizes {
            let screen = Snapshot.render(RichScenario.view(hospitals: hospitals), width: w, height: h, .unicode)
            try Snapshot.check(Snapshot.serialize(screen, attributes: false), named: "crowded-\(hospitals)-\(w)x\(h)-unicode")
        }
    }

    @Test("the vocabulary check catches a cut word (it is not vacuous)")
    func checkCatchesCuts() {
        var screen = Screen(width: 30, height: 2)
        screen.put("checkpoint of round 1: /tmp/wt", x: 0, y: 0)
        let tokens = Self.tokens(screen)
        #expect(tokens.contains("/tmp/wt"))
        let view = RichScenario.view(hospitals: 3)
        let known = Set(Self.tokens(Snapshot.render(view, width: 400, height: 140, .unicode)))
        #expect(known.contains { $0.hasPrefix("/tmp/wt") && $0 != "/tmp/wt" }, "the whole path is on the big screen")
    }

    @Test("at 80×24 every hospital's ε is shown or counted (+N more), the header keeps the run's name whole or drops it")
    func compactSaysWhatIsLeftOut() {
        for count in [3, 12] {
            let view = RichScenario.view(hospitals: count)
            let screen = Snapshot.render(view, width: 80, height: 24, .unicode)
            let layout = Dashboard.layout(view, width: 80, height: 24, context: RenderContext())
            let privacy = screen.text(layout.privacy)
            let shown = RichScenario.names(count).filter { name in privacy.split(separator: "\n").contains { $0.contains("│\(name) ") } }
            let more = privacy.split(separator: "\n").compactMap { line in
                line.range(of: "+").flatMap { r in Int(line[r.upperBound...].prefix { $0.isNumber }) }
            }.first ?? 0
            #expect(shown.count + more == count, "\(count) hospitals: \(shown.count) shown, +\(more) more\n\(privacy)")
            let header = screen.text(layout.header)
            #expect(header.contains("lesions-lesioncnn") || !header.contains("lesion"), "\(header)")
            #expect(header.contains("Round 11/30"))
        }
    }

    @Test("at 200×50 the hospitals table takes its natural width and the log the rest; log lines are whole")
    func spareColumnsGoToTheLog() {
        let view = RichScenario.view(hospitals: 3)
        let layout = Dashboard.layout(view, width: 200, height: 50, context: RenderContext())
        let natural = HospitalsPanel.naturalWidth(view, screenWidth: 200, context: RenderContext())
        #expect(layout.hospitals.width == natural && natural < 120, "hospitals \(layout.hospitals.width), natural \(natural)")
        #expect(layout.log.width == 200 - natural)
        let screen = Snapshot.render(view, width: 200, height: 50, .unicode)
        let log = screen.text(layout.log)
        #expect(log.contains(RichScenario.checkpointDirectory + "/round-0010.ckpt"), "\(log)")
        #expect(log.contains("refused (step): step works while paused"))
        // The table still has every column, and no column of the panel is left empty at its right.
        let hospitals = screen.text(layout.hospitals)
        #expect(hospitals.contains("where") && hospitals.contains("clip%"))
    }

    @Test("at 120×36 long log lines wrap or shorten their paths in the middle; the aggregator's notes are whole")
    func readmeSize() {
        let view = RichScenario.view(hospitals: 3)
        let layout = Dashboard.layout(view, width: 120, height: 36, context: RenderContext())
        let screen = Snapshot.render(view, width: 120, height: 36, .unicode)
        var checkpoints = view
        checkpoints.controller.logFilter = "checkpoint"
        let log = Snapshot.render(checkpoints, width: 120, height: 36, .unicode).text(layout.log)
        #expect(log.contains("/tmp/…/round-0010.ckpt"), "\(log)")
        let aggregator = screen.text(layout.aggregator)
        #expect(aggregator.contains("refused (step): step") && aggregator.contains("paused"), "\(aggregator)")
        let privacy = screen.text(layout.privacy)
        #expect(privacy.contains("pending σ 2.97 → 3.59"), "\(privacy)")
    }

    @Test("Screen.put never cuts text silently: a limit it does not fit ends in the ellipsis")
    func putEndsInEllipsis() {
        var screen = Screen(width: 20, height: 1)
        screen.put("applied: paused after round 3", x: 0, y: 0, limit: 20)
        #expect(screen.line(0).trimmingCharacters(in: .whitespaces).hasSuffix("…"), "\(screen.line(0))")
        #expect(!screen.line(0).contains("roun "))
        var fits = Screen(width: 20, height: 1)
        fits.put("train 1.100   ", x: 0, y: 0, limit: 11)
        #expect(fits.line(0).hasPrefix("train 1.100") && !fits.contains("…"), "trailing spaces are dropped without an ellipsis")
    }
}
