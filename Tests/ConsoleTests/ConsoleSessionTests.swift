import Console
import Federation
import Foundation
import Privacy
import Testing

/// A terminal in memory: keys from a script, every drawn screen kept.
final class ScriptedTerminal: Terminal {
    private var keys: [Key]
    private(set) var frames: [String] = []
    private(set) var began = false
    private(set) var ended = false
    let size: (width: Int, height: Int)
    let depth = ColorDepth.xterm256

    init(keys: [Key], width: Int = 120, height: Int = 40) {
        self.keys = keys
        size = (width, height)
    }

    func begin(options: TerminalDriver.Options, theme: Theme) throws { began = true }
    func end() { ended = true }
    var terminalAttached: Bool { true }
    func setTheme(_ theme: Theme) {}
    func readKey(timeout milliseconds: Int) -> Key? { keys.isEmpty ? nil : keys.removeFirst() }
    func draw(_ screen: Screen) { frames.append(screen.text()) }
    var lastFrame: String { frames.last ?? "" }
}

/// A feed of the scenario's events that records the commands the console sends.
final class ScriptedFeed: ConsoleFeed {
    private var pending: [EngineEvent]
    private(set) var sent: [EngineCommand] = []
    private(set) var isFinished = false

    init(_ events: [EngineEvent]) { pending = events }

    func poll() -> [EngineEvent] {
        defer { pending = [] }
        if pending.contains(where: { if case .runFinished = $0.kind { true } else { false } }) { isFinished = true }
        return pending
    }
    func send(_ command: EngineCommand) { sent.append(command) }
    var now: Double { 1 }
    var replayStatus: String? { nil }
    var recordedForecast: PrivacyForecast? { nil }
    func control(_ control: ReplayControl) {}
}

/// The console's loop in memory (the tmux tests drive the real terminal): keys in, commands out,
/// frames drawn, the terminal given back.
@Suite("ConsoleSession: the loop with a scripted terminal")
struct ConsoleSessionTests {
    func session(_ feed: ScriptedFeed, _ terminal: ScriptedTerminal) -> ConsoleSession {
        ConsoleSession(feed: feed, facts: Scenario.facts, projection: nil,
                       options: .init(themes: ThemeLoader(directories: [])), terminal: terminal)
    }

    @Test("space pauses, + then enter sends σ × 1.1 as a sample-level command, q y quits; the terminal is given back")
    func keysBecomeCommands() throws {
        let feed = ScriptedFeed(Scenario.events)
        let terminal = ScriptedTerminal(keys: [.character(" "), .character("+"), .enter, .character("q"), .character("y"),
                                               .character("q"), .character("y")])
        let end = try session(feed, terminal).run()
        #expect(end == .quit)
        #expect(terminal.began && terminal.ended)
        #expect(feed.sent.first == .pause, "\(feed.sent)")
        #expect(feed.sent.contains { if case .setSampleNoise(let s) = $0 { abs(s.value - 1.21 * 1.1) < 1e-9 } else { false } },
                "\(feed.sent)")
        #expect(feed.sent.contains(.stop), "\(feed.sent)")
        #expect(terminal.lastFrame.contains("hospital-1") && terminal.lastFrame.contains("lesions"), "\(terminal.lastFrame)")
    }

    @Test("a run that has finished quits on q y without asking the engine to stop")
    func finishedRunQuits() throws {
        let feed = ScriptedFeed(Scenario.events + [EngineEvent(time: 9, wallTime: 0, round: 4, kind: .runFinished(.finished))])
        let terminal = ScriptedTerminal(keys: [.character("q"), .character("y")])
        #expect(try session(feed, terminal).run() == .quit)
        #expect(!feed.sent.contains(.stop) && terminal.ended)
    }
}

/// A projection that always forecasts the same, counting its calls.
final class FixedProjection: PrivacyProjection, @unchecked Sendable {
    let final: Double
    init(final: Double) { self.final = final }
    func forecast(noiseMultiplier: Double, clipNorm: Double, completedRound: Int, plannedRounds: Int) -> PrivacyForecast? {
        PrivacyForecast(finalEpsilon: final, budget: 3, roundsLeft: max(0, plannedRounds - completedRound), limitingParty: "hospital-3")
    }
}

/// A feed that hands out its batches one after another, each when `ready` says so.
final class StagedFeed: ConsoleFeed {
    private var batches: [[EngineEvent]]
    private let ready: (Int) -> Bool
    private var next = 0
    private(set) var isFinished = false
    init(_ batches: [[EngineEvent]], ready: @escaping (Int) -> Bool) {
        self.batches = batches
        self.ready = ready
    }
    func poll() -> [EngineEvent] {
        guard next < batches.count else { return [] }
        guard ready(next) else { usleep(2000); return [] }
        defer { next += 1 }
        if batches[next].contains(where: { if case .runFinished = $0.kind { true } else { false } }) { isFinished = true }
        return batches[next]
    }
    func send(_ command: EngineCommand) {}
    var now: Double { 1 }
    var replayStatus: String? { nil }
    var recordedForecast: PrivacyForecast? { nil }
    func control(_ control: ReplayControl) {}
}

@Suite("ConsoleSession: the privacy projection")
struct ConsoleSessionProjectionTests {
    @Test("once the run stops at its budget, the projected final ε is what was spent (no red 8.24 over a 3.00 budget)")
    func projectionAfterStop() throws {
        let terminal = ScriptedTerminal(keys: Array(repeating: .resize, count: 3000) + [.character("q"), .character("y")])
        let feed = StagedFeed([Scenario.events,
                               [EngineEvent(time: 9, wallTime: 0, round: 4, kind: .runFinished(.budgetExhausted))]]) { batch in
            batch == 0 || terminal.lastFrame.contains("final ε 8.24")
        }
        let session = ConsoleSession(feed: feed, facts: Scenario.facts, projection: FixedProjection(final: 8.24),
                                     options: .init(themes: ThemeLoader(directories: [])), terminal: terminal)
        _ = try session.run()
        #expect(terminal.frames.contains { $0.contains("final ε 8.24") }, "the projection was shown while the run could spend")
        #expect(terminal.lastFrame.contains("final ε 1.22, run over"), "\(terminal.lastFrame)")
        #expect(!terminal.lastFrame.contains("8.24"))
        #expect(abs((session.finalModel.forecast?.finalEpsilon ?? 0) - 1.22) < 1e-9 && session.finalModel.forecast?.roundsLeft == 0)
    }
}
