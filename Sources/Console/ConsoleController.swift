import Federation
import Privacy

/// What the controller asks the session to do after a key.
public enum ConsoleEffect: Sendable, Equatable {
    /// Send a command to the engine (the screen changes when the engine answers).
    case send(EngineCommand)
    case cycleTheme
    case toggleRecording
    case addMarker
    /// Quit confirmed: stop the engine after its round, then restore the terminal.
    case quit
    /// Replay only: pause/resume, one event (or round), faster, slower, next marker.
    case replay(ReplayControl)
}

/// A replay's controls.
public enum ReplayControl: Sendable, Equatable { case togglePause, step, faster, slower, nextMarker }

/// A setting change the operator is preparing: shown with its projected ε, sent on `enter`.
public enum PendingChange: Sendable, Equatable {
    case noise(Double), clip(Double), learningRate(Double)

    public var value: Double {
        switch self { case .noise(let v), .clip(let v), .learningRate(let v): v }
    }

    /// The command for this change: σ or C under sample-level DP (also with both levels on), z or S
    /// under client-level DP alone; nil for a value no command can carry.
    func command(sampleLevel: Bool) -> EngineCommand? {
        switch self {
        case .noise(let v):
            if sampleLevel { return (try? SampleNoiseMultiplier(v)).map(EngineCommand.setSampleNoise) }
            return (try? ClientNoiseMultiplier(v)).map(EngineCommand.setClientNoise)
        case .clip(let v):
            guard let c = try? ClipNorm(v) else { return nil }
            return sampleLevel ? .setSampleClip(c) : .setClientClip(c)
        case .learningRate(let v): return .setLearningRate(v)
        }
    }
}

/// The console's interaction state and its rules, with no I/O: which panel has the focus, which
/// hospital is selected, a pending σ/C/learning-rate change, the log filter being typed, the help
/// overlay, the detail view and the quit confirmation. ``handle(_:model:)`` turns a key into
/// ``ConsoleEffect``s; every change to the run is an ``EngineCommand`` for the engine to apply.
public struct ConsoleController: Sendable, Equatable {
    /// The panel that arrow keys move in.
    public enum Focus: String, Sendable, CaseIterable { case hospitals, log }

    /// Live (a running engine) or replay (a journal; no commands reach any engine).
    public enum Mode: Sendable, Equatable { case live, replay }

    public var mode: Mode
    public var focus = Focus.hospitals
    public var selectedHospital = 0
    /// Log lines scrolled back from the newest.
    public var logScroll = 0
    public var logFilter = ""
    /// Non-nil while the operator types a filter after `/`.
    public var filterDraft: String?
    public var pending: PendingChange?
    public var showHelp = false
    /// The presenter view (``PresenterPanel``) instead of the operator's panels.
    public var presenter = false
    public var showDetail = false
    public var confirmingQuit = false
    /// Which chart the training panel shows when it is too short for all of them (`g` moves on).
    public var chart = TrainingChart.training

    /// Noise, clip and learning rate move by this factor per key press.
    public static let step = 1.1

    public init(mode: Mode = .live) { self.mode = mode }

    /// Applies a key; returns what the session must do.
    public mutating func handle(_ key: Key, model: DashboardModel) -> [ConsoleEffect] {
        if key == .resize { return [] }
        if confirmingQuit {
            switch key {
            case .character("y"), .character("Y"), .character("q"), .enter, .interrupt:
                confirmingQuit = false
                return [.quit]
            default:
                confirmingQuit = false
                return []
            }
        }
        if var draft = filterDraft {
            switch key {
            case .enter: logFilter = draft; filterDraft = nil; logScroll = 0
            case .escape: logFilter = ""; filterDraft = nil
            case .backspace: if !draft.isEmpty { draft.removeLast() }; filterDraft = draft
            case .character(let c): draft.append(c); filterDraft = draft
            case .interrupt: filterDraft = nil; confirmingQuit = true
            default: break
            }
            return []
        }
        // Help is modal: the key that closes it does nothing else (Ctrl-C still reaches the quit question).
        if showHelp {
            showHelp = false
            if key != .interrupt { return [] }
        }
        guard let action = KeyMap.action(for: key) else { return [] }
        if mode == .replay { return replay(action, model: model) }
        return live(action, model: model)
    }

    private mutating func live(_ action: ConsoleAction, model: DashboardModel) -> [ConsoleEffect] {
        let hospitals = model.hospitals
        selectedHospital = min(max(0, selectedHospital), max(0, hospitals.count - 1))
        switch action {
        case .togglePause:
            let pausedOrPausing = (model.paused || model.awaiting.contains(.pause)) && !model.awaiting.contains(.resume)
            return [.send(pausedOrPausing ? .resume : .pause)]
        case .step: return [.send(.step)]
        case .noiseUp: adjust(.noise(0), model.noiseMultiplier, up: true)
        case .noiseDown: adjust(.noise(0), model.noiseMultiplier, up: false)
        case .clipUp: adjust(.clip(0), model.clipNorm, up: true)
        case .clipDown: adjust(.clip(0), model.clipNorm, up: false)
        case .learningRateUp: adjust(.learningRate(0), model.learningRate, up: true)
        case .learningRateDown: adjust(.learningRate(0), model.learningRate, up: false)
        case .confirm:
            if let p = pending {
                pending = nil
                return p.command(sampleLevel: model.sampleLevel).map { [.send($0)] } ?? []
            }
            if focus == .hospitals, !hospitals.isEmpty { showDetail.toggle() }
        case .cancel:
            if pending != nil { pending = nil } else if showDetail { showDetail = false } else if !logFilter.isEmpty { logFilter = "" }
        case .selectUp:
            if focus == .hospitals { selectedHospital = max(0, selectedHospital - 1) } else { logScroll += 1 }
        case .selectDown:
            if focus == .hospitals { selectedHospital = min(max(0, hospitals.count - 1), selectedHospital + 1) } else { logScroll = max(0, logScroll - 1) }
        case .pageUp:
            if focus == .hospitals { selectedHospital = max(0, selectedHospital - 10) } else { logScroll += 10 }
        case .pageDown:
            if focus == .hospitals { selectedHospital = min(max(0, hospitals.count - 1), selectedHospital + 10) } else { logScroll = max(0, logScroll - 10) }
        case .toggleDrop:
            guard hospitals.indices.contains(selectedHospital) else { return [] }
            let h = hospitals[selectedHospital]
            return [.send(h.dropped ? .restoreHospital(h.name) : .dropHospital(h.name))]
        case .toggleMalicious:
            guard hospitals.indices.contains(selectedHospital) else { return [] }
            let h = hospitals[selectedHospital]
            return [.send(.setMalicious(h.name, !h.malicious))]
        case .focusNext, .focusPrevious:
            focus = focus == .hospitals ? .log : .hospitals
            showDetail = false
        case .filterLog: filterDraft = logFilter
        case .cycleTheme: return [.cycleTheme]
        case .toggleRecording: return [.toggleRecording]
        case .addMarker: return [.addMarker]
        case .quit:
            // A run that has ended has nothing left to lose: q leaves at once. A live one asks first.
            if model.outcome != nil { return [.quit] }
            confirmingQuit = true
        case .help: showHelp = true
        case .nextMarker: break
        case .toggleChart: chart = chart.next
        case .togglePresenter: presenter.toggle()
        }
        return []
    }

    private mutating func replay(_ action: ConsoleAction, model: DashboardModel) -> [ConsoleEffect] {
        switch action {
        case .togglePause: return [.replay(.togglePause)]
        case .step: return [.replay(.step)]
        case .noiseUp: return [.replay(.faster)]
        case .noiseDown: return [.replay(.slower)]
        case .nextMarker, .addMarker: return [.replay(.nextMarker)]
        case .quit: return [.quit]
        case .help: showHelp = true
        case .toggleChart: chart = chart.next
        case .togglePresenter: presenter.toggle()
        case .cycleTheme: return [.cycleTheme]
        case .selectUp, .selectDown, .pageUp, .pageDown, .focusNext, .focusPrevious, .filterLog, .cancel, .confirm:
            var copy = self
            copy.mode = .live
            _ = copy.live(action, model: model)
            copy.mode = .replay
            copy.pending = nil
            self = copy
        default: break
        }
        return []
    }

    /// Starts or moves a pending change of the same kind; a different kind replaces it.
    private mutating func adjust(_ kind: PendingChange, _ current: Double?, up: Bool) {
        let base: Double
        switch (pending, kind) {
        case (.noise(let v)?, .noise), (.clip(let v)?, .clip), (.learningRate(let v)?, .learningRate): base = v
        default:
            guard let current else { return }
            base = current
        }
        let next = up ? base * Self.step : base / Self.step
        switch kind {
        case .noise: pending = .noise(next)
        case .clip: pending = .clip(next)
        case .learningRate: pending = .learningRate(next)
        }
    }
}
