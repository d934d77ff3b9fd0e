import Dispatch
import Federation
import Foundation

/// The console's loop on one thread: wait for a key (at most 1/fps seconds), drain the feed's
/// events into the model, project the privacy budget, render into the virtual screen, let the
/// driver send what changed, and record it when asked.
///
/// Contract: nothing is redrawn while nothing changes (an idle, paused console sleeps in the
/// driver's read); the terminal is restored when ``run()`` returns or throws; SIGINT, SIGTERM and
/// SIGHUP stop the engine after its round as a confirmed `q` does, and a second one leaves at once.
public final class ConsoleSession {
    /// How the session runs.
    public struct Options: Sendable {
        public var framesPerSecond: Int
        public var glyphs: Glyphs
        public var mouse: Bool
        public var themeName: String
        public var themes: ThemeLoader
        /// Record from the start to this `.cast` file (its journal beside it).
        public var recordPath: String?
        /// Where `r` puts recordings started from the keyboard.
        public var recordingDirectory: String
        public var title: String
        public var depth: ColorDepth?
        /// Start in the presenter view.
        public var presenter: Bool

        public init(framesPerSecond: Int = 10, glyphs: Glyphs = .unicode, mouse: Bool = true, themeName: String = "default",
                    themes: ThemeLoader, recordPath: String? = nil, recordingDirectory: String = ".", title: String = "fedtop",
                    depth: ColorDepth? = nil, presenter: Bool = false) {
            self.framesPerSecond = framesPerSecond
            self.glyphs = glyphs
            self.mouse = mouse
            self.themeName = themeName
            self.themes = themes
            self.recordPath = recordPath
            self.recordingDirectory = recordingDirectory
            self.title = title
            self.depth = depth
            self.presenter = presenter
        }
    }

    /// How the session ended.
    /// How the session ended: `q` confirmed; one SIGINT/SIGTERM (the engine stops after its round);
    /// or `abandoned` — a second interrupt, after which the caller leaves without waiting for the round.
    public enum End: Sendable, Equatable { case quit, interrupted, abandoned }

    private let feed: ConsoleFeed
    private var options: Options
    private var view: ConsoleView
    /// The dashboard as the session last saw it (for the exit summary).
    public var finalModel: DashboardModel { view.model }

    /// Applies the events still in the feed (after the engine has stopped: the round it finished
    /// once the screen had closed), so the exit summary has the run's last figures.
    public func absorbRemainingEvents() {
        for e in feed.poll() { view.model.apply(e) }
    }
    private let driver: any Terminal
    private var theme = Theme.dark
    private var recorder: AsciicastRecorder?
    private var journal: EventJournal?
    /// Every event but progress, so a recording started mid-run has a complete journal.
    private var history: [EngineEvent] = []
    /// Projects the budget off this thread (nil without a projection: replays, no DP).
    private let forecaster: ForecastWorker?
    private var lastRequest: ForecastWorker.Request?
    private var lastJournalledForecast: PrivacyForecast?
    /// Problems to print after the terminal is restored (theme files, recordings).
    public private(set) var problems: [String] = []
    /// Recordings written (cast files), for the caller to report.
    public private(set) var recordings: [String] = []

    /// - Parameter terminal: the screen and keyboard (ncursesw by default; a scripted one in tests).
    public init(feed: ConsoleFeed, facts: FederationFacts, projection: PrivacyProjection?, options: Options,
                mode: ConsoleController.Mode = .live, terminal: any Terminal = TerminalDriver()) {
        driver = terminal
        self.feed = feed
        forecaster = projection.map { ForecastWorker($0) }
        self.options = options
        view = ConsoleView(model: DashboardModel(facts: facts), controller: ConsoleController(mode: mode), themeName: options.themeName)
        view.controller.presenter = options.presenter
    }

    /// Runs until the operator quits (and, live, the engine has stopped) or a signal.
    public func run() throws -> End {
        let loaded = options.themes.load(options.themeName)
        if let e = loaded.error { throw e }  // before the console takes the screen
        theme = loaded.theme
        let signals = SignalWatch()
        try driver.begin(options: TerminalDriver.Options(mouse: options.mouse, depth: options.depth), theme: theme)
        defer {
            driver.end()
            stopRecording()
            signals.cancel()
        }
        if let path = options.recordPath { startRecording(path) }
        let frame = max(1, 1000 / max(1, options.framesPerSecond))
        let context = RenderContext(glyphs: options.glyphs, monochrome: driver.depth == .monochrome)
        var quitting = false
        var dirty = true
        var shownSecond = -1
        var screen = Screen(width: 0, height: 0)
        while true {
            var interrupts = signals.count
            if !driver.terminalAttached { interrupts = max(interrupts, 1) }  // hung up: as SIGHUP
            if interrupts > 1 { return .abandoned }
            if interrupts == 1 && !quitting {
                quitting = true
                feed.send(.stop)
                view.message = "stopping after this round (again to leave now)"
                dirty = true
            }
            let events = feed.poll()
            if !events.isEmpty {
                for e in events {
                    view.model.apply(e)
                    if !e.isProgress { history.append(e) }
                    journal?.write(JournalLine(event: e))
                }
                dirty = true
            }
            if updateForecasts() { dirty = true }
            if view.model.outcome == nil { view.model.tick(time: feed.now) }
            if quitting && (feed.isFinished || view.controller.mode == .replay) { return interrupts > 0 ? .interrupted : .quit }
            view.replayStatus = feed.replayStatus
            view.recording = recorder != nil
            if Int(view.model.time) != shownSecond { dirty = true; shownSecond = Int(view.model.time) }
            if dirty {
                let (w, h) = driver.size
                if screen.width != w || screen.height != h { screen = Screen(width: w, height: h) }
                Dashboard.render(view, on: &screen, context: context)
                driver.draw(screen)
                recorder?.frame(screen)
                dirty = false
            }
            guard let key = driver.readKey(timeout: frame) else { continue }
            dirty = true
            if case .resize = key { continue }
            if handleMouse(key) { continue }
            for effect in view.controller.handle(key, model: view.model) {
                switch effect {
                case .send(let c):
                    view.model.noteSent(c)
                    feed.send(c)
                case .quit:
                    if quitting || feed.isFinished || view.controller.mode == .replay { return .quit }
                    quitting = true
                    view.message = "stopping after this round"
                    feed.send(.stop)
                case .cycleTheme: cycleTheme()
                case .toggleRecording:
                    if recorder != nil { stopRecording() } else { startRecording(nil) }
                case .addMarker:
                    if let recorder {
                        let label = "marker \(recorder.markers + 1): round \(view.model.round)"
                        recorder.marker(label)
                        journal?.write(JournalLine(marker: label, time: view.model.time))
                        view.message = label
                    } else {
                        view.message = "not recording: r starts a recording"
                    }
                case .replay(let control): feed.control(control)
                }
            }
        }
    }

    // MARK: - Privacy projection

    /// Recomputes the forecasts when the round, σ or the pending σ changed; true if any changed.
    private func updateForecasts() -> Bool {
        let m = view.model
        // Once the run has ended it spends nothing more: the projection is what was spent.
        if m.outcome != nil {
            let spent = m.epsilonSpent ?? 0
            let final = PrivacyForecast(finalEpsilon: spent, budget: m.epsilonBudget ?? m.forecast?.budget ?? .infinity,
                                        roundsLeft: 0, limitingParty: m.forecast?.limitingParty)
            guard m.forecast != final || !view.forecastPath.isEmpty || view.pendingForecast != nil else { return false }
            view.model.forecast = final
            view.forecastPath = []
            view.pendingForecast = nil
            view.pendingPath = []
            return true
        }
        if let recorded = feed.recordedForecast {
            guard m.forecast != recorded else { return false }
            view.model.forecast = recorded
            return true
        }
        guard let forecaster, let sigma = m.noiseMultiplier, m.privacyOn else { return false }
        var changed = false
        var pendingSigma: Double?
        if case .noise(let p)? = view.controller.pending { pendingSigma = p }
        // Projections run on the forecaster's queue; the newest request wins, and the screen keeps
        // drawing meanwhile.
        let request = ForecastWorker.Request(sigma: sigma, clipNorm: m.clipNorm ?? 1, completedRound: m.lastCompletedRound,
                                             plannedRounds: m.plannedRounds, pendingSigma: pendingSigma)
        if request != lastRequest {
            // A projection for other settings is not shown while the new one is computed: an old
            // one could under-state ε (σ lowered, or a second `-` on a pending σ).
            if lastRequest?.sigma != request.sigma || lastRequest?.clipNorm != request.clipNorm, view.model.forecast != nil {
                view.model.forecast = nil
                view.forecastPath = []
                changed = true
            }
            if lastRequest?.pendingSigma != request.pendingSigma, view.pendingForecast != nil {
                view.pendingForecast = nil
                view.pendingPath = []
                changed = true
            }
            lastRequest = request
            forecaster.submit(request)
        }
        if let r = forecaster.take() {
            // Shown only for the settings in force (a result one round behind is the same projection).
            if r.request.sigma == request.sigma && r.request.clipNorm == request.clipNorm {
                view.model.forecast = r.forecast
                view.forecastPath = r.path
                if let f = r.forecast, f != lastJournalledForecast {
                    lastJournalledForecast = f
                    journal?.write(JournalLine(forecast: f, time: m.time))
                }
            }
            if r.request.pendingSigma != nil && r.request.pendingSigma == pendingSigma {
                view.pendingForecast = r.pendingForecast
                view.pendingPath = r.pendingPath
            }
            changed = true
        }
        if pendingSigma == nil && view.pendingForecast != nil {
            view.pendingForecast = nil
            view.pendingPath = []
            changed = true
        }
        return changed
    }

    // MARK: - Keys the session handles itself

    private func handleMouse(_ key: Key) -> Bool {
        // The presenter view has no hospitals table or log to click.
        if view.controller.presenter, case .click = key { return true }
        let context = RenderContext(glyphs: options.glyphs, monochrome: driver.depth == .monochrome)
        let layout = Dashboard.layout(view, width: driver.size.width, height: driver.size.height, context: context)
        func inside(_ r: Rect, _ x: Int, _ y: Int) -> Bool { x >= r.x && x < r.maxX && y >= r.y && y < r.maxY }
        switch key {
        case let .click(x, y):
            if inside(layout.hospitals, x, y) {
                view.controller.focus = .hospitals
                let visible = layout.hospitals.height - 3
                let first = Table.firstVisible(selected: view.controller.selectedHospital, count: view.model.hospitals.count,
                                               visibleRows: visible)
                let row = first + y - layout.hospitals.y - 2
                if view.model.hospitals.indices.contains(row) { view.controller.selectedHospital = row }
            } else if inside(layout.log, x, y) {
                view.controller.focus = .log
            }
            return true
        case let .scrollUp(x, y):
            if inside(layout.log, x, y) { view.controller.logScroll += 3 } else { _ = view.controller.handle(.up, model: view.model) }
            return true
        case let .scrollDown(x, y):
            if inside(layout.log, x, y) { view.controller.logScroll = max(0, view.controller.logScroll - 3) } else {
                _ = view.controller.handle(.down, model: view.model)
            }
            return true
        default: return false
        }
    }

    private func cycleTheme() {
        let names = options.themes.available()
        let i = names.firstIndex(of: view.themeName) ?? -1
        let name = names[(i + 1) % names.count]
        let loaded = options.themes.load(name)
        theme = loaded.theme
        if let e = loaded.error {
            view.message = "theme \(name): \(e) (default used)"
            problems.append("theme: \(e); using the default theme")
        } else {
            view.message = nil
        }
        view.themeName = loaded.error == nil ? name : "default"
        driver.setTheme(theme)
        recorder?.encoder = AnsiEncoder(theme: theme, depth: recorder?.encoder.depth ?? .xterm256)
        recorder?.invalidate()
    }

    // MARK: - Recording

    private func startRecording(_ requested: String?) {
        let path: String
        if let requested {
            path = requested
        } else {
            let f = DateFormatter()
            f.dateFormat = "yyyyMMdd-HHmmss"
            f.locale = Locale(identifier: "en_US_POSIX")
            path = options.recordingDirectory + "/fedtop-\(f.string(from: Date())).cast"
        }
        let (w, h) = driver.size
        do {
            let depth: ColorDepth = driver.depth == .monochrome ? .monochrome : .xterm256
            let recorder = try AsciicastRecorder(path: path, width: w, height: h, title: options.title,
                                                 encoder: AnsiEncoder(theme: theme, depth: depth))
            let journal = try EventJournal(path: AsciicastRecorder.journalPath(for: path), facts: view.model.facts, title: options.title)
            for e in history { journal.write(JournalLine(event: e)) }
            if let f = view.model.forecast { journal.write(JournalLine(forecast: f, time: view.model.time)) }
            self.recorder = recorder
            self.journal = journal
            recordings.append(path)
            view.message = "recording to \(path)"
            view.model.note("recording to \(path) (journal \(journal.path))")
        } catch {
            view.message = "\(error)"
            problems.append("\(error)")
        }
    }

    private func stopRecording() {
        guard let recorder else { return }
        recorder.close()
        journal?.close()
        view.message = "recording saved: \(recorder.path)"
        view.model.note("recording saved: \(recorder.path)")
        self.recorder = nil
        journal = nil
    }
}

/// Counts SIGINT, SIGTERM and SIGHUP instead of dying on them, so the console can restore the
/// terminal and stop the engine after its round.
final class SignalWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var _count = 0
    private var sources: [DispatchSourceSignal] = []

    init() {
        for s in [SIGINT, SIGTERM, SIGHUP] {
            signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                self._count += 1
                self.lock.unlock()
            }
            source.resume()
            sources.append(source)
        }
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return _count
    }

    func cancel() {
        for s in sources { s.cancel() }
        for s in [SIGINT, SIGTERM, SIGHUP] { signal(s, SIG_DFL) }
    }
}
