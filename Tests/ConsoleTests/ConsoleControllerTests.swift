import Console
import Federation
import Privacy
import Testing

@Suite("ConsoleController: keys become engine commands")
struct ConsoleControllerTests {
    func press(_ keys: [Key], _ c: inout ConsoleController, model: DashboardModel = Scenario.model) -> [ConsoleEffect] {
        keys.flatMap { c.handle($0, model: model) }
    }

    @Test("space pauses, and resumes once the engine has paused; s steps")
    func pauseResumeStep() {
        var c = ConsoleController()
        var m = Scenario.model
        #expect(c.handle(.character(" "), model: m) == [.send(.pause)])
        m.apply(EngineEvent(time: 9, wallTime: 0, round: 4, kind: .commandApplied(.pause, effect: "paused")))
        #expect(c.handle(.character(" "), model: m) == [.send(.resume)])
        #expect(c.handle(.character("s"), model: m) == [.send(.step)])
    }

    @Test("+ then enter sends σ × 1.1 of the applied value; esc cancels; - divides")
    func noiseChange() {
        var c = ConsoleController()
        #expect(press([.character("+")], &c).isEmpty)
        #expect(c.pending == .noise(1.21 * 1.1))
        #expect(press([.enter], &c) == [.send(.setSampleNoise(try! SampleNoiseMultiplier(1.21 * 1.1)))])
        #expect(c.pending == nil)
        _ = press([.character("+"), .character("+"), .escape], &c)
        #expect(c.pending == nil)
        _ = press([.character("-")], &c)
        #expect(c.pending == .noise(1.21 / 1.1))
    }

    @Test("[ ] change the clip norm, < > the learning rate, each sent on enter")
    func clipAndLearningRate() {
        var c = ConsoleController()
        #expect(press([.character("]"), .enter], &c) == [.send(.setSampleClip(try! ClipNorm(1.1)))])
        let sent = press([.character("<"), .enter], &c)
        guard case .send(.setLearningRate(let r))? = sent.first else { Issue.record("no learning rate sent"); return }
        #expect(abs(r - 0.05 / 1.1) < 1e-6)
    }

    @Test("↑/↓ and j/k select a hospital; d drops or restores it, x marks it malicious; enter opens the detail")
    func hospitals() {
        var c = ConsoleController()
        #expect(press([.character("d")], &c) == [.send(.dropHospital("hospital-1"))])
        _ = press([.down, .character("j")], &c)
        #expect(c.selectedHospital == 2)
        #expect(press([.character("d")], &c) == [.send(.restoreHospital("hospital-3"))])
        _ = press([.character("k")], &c)
        #expect(press([.character("x")], &c) == [.send(.setMalicious("hospital-2", true))])
        _ = press([.down, .down, .down], &c)
        #expect(c.selectedHospital == 2)
        _ = press([.enter], &c)
        #expect(c.showDetail)
        _ = press([.escape], &c)
        #expect(!c.showDetail)
    }

    @Test("q asks first during a run: another key stays, y (or q, enter) quits; after the run, q quits at once")
    func quit() {
        var c = ConsoleController()
        #expect(press([.character("q")], &c).isEmpty && c.confirmingQuit)
        #expect(press([.character("n")], &c).isEmpty && !c.confirmingQuit)
        #expect(press([.character("q"), .character("y")], &c) == [.quit])
        #expect(press([.character("q"), .character("q")], &c) == [.quit])
        // Once the run has ended there is nothing to confirm: one q leaves.
        var ended = Scenario.model
        ended.apply(EngineEvent(time: 9, wallTime: 0, round: 4, kind: .runFinished(.finished)))
        var after = ConsoleController()
        #expect(press([.character("q")], &after, model: ended) == [.quit] && !after.confirmingQuit)
    }

    @Test("tab moves focus to the log, where ↑ scrolls; / types a filter kept on enter, cleared on esc")
    func focusAndFilter() {
        var c = ConsoleController()
        _ = press([.tab], &c)
        #expect(c.focus == .log)
        _ = press([.up, .up], &c)
        #expect(c.logScroll == 2)
        _ = press([.character("/"), .character("p"), .character("r"), .character("x"), .backspace], &c)
        #expect(c.filterDraft == "pr")
        #expect(press([.character("q")], &c).isEmpty)  // typed into the filter, not a quit
        _ = press([.enter], &c)
        #expect(c.logFilter == "prq" && c.filterDraft == nil)
        _ = press([.character("/"), .escape], &c)
        #expect(c.logFilter.isEmpty)
    }

    @Test("t, r, m and ? reach the session; help closes on the next key")
    func sessionKeys() {
        var c = ConsoleController()
        #expect(press([.character("t")], &c) == [.cycleTheme])
        #expect(press([.character("r")], &c) == [.toggleRecording])
        #expect(press([.character("m")], &c) == [.addMarker])
        _ = press([.character("?")], &c)
        #expect(c.showHelp)
        _ = press([.escape], &c)
        #expect(!c.showHelp)
    }

    @Test("help is modal: the key that closes it does nothing else (? then d keeps hospital-1); Ctrl-C still asks to quit")
    func helpIsModal() {
        var c = ConsoleController()
        for key: Key in [.character("d"), .character(" "), .character("+"), .character("q"), .character("x"), .enter] {
            _ = press([.character("?")], &c)
            #expect(press([key], &c).isEmpty, "\(key) closed help and did something")
            #expect(!c.showHelp && c.pending == nil && !c.confirmingQuit)
        }
        _ = press([.character("?")], &c)
        _ = press([.interrupt], &c)
        #expect(!c.showHelp && c.confirmingQuit)
    }

    @Test("every key listed in the help has an action")
    func keyMapComplete() {
        for key: Key in [.character(" "), .character("s"), .character("+"), .character("-"), .character("["), .character("]"),
                         .character("<"), .character(">"), .enter, .escape, .up, .down, .character("j"), .character("k"),
                         .character("d"), .character("x"), .tab, .character("/"), .character("t"), .character("r"),
                         .character("m"), .character("q"), .character("?")] {
            #expect(KeyMap.action(for: key) != nil, "\(key)")
        }
        #expect(KeyMap.action(for: .character("Z")) == nil)
    }

    @Test("in a replay, keys control the replay and never send engine commands")
    func replay() {
        var c = ConsoleController(mode: .replay)
        let effects = press([.character(" "), .character("s"), .character("+"), .character("-"), .character("n"),
                             .character("d"), .character("x"), .enter], &c)
        #expect(effects == [.replay(.togglePause), .replay(.step), .replay(.faster), .replay(.slower), .replay(.nextMarker)])
        #expect(press([.character("q")], &c) == [.quit])
    }
}
