/// A key press as the console sees it, from curses or from a test.
public enum Key: Sendable, Equatable, Hashable {
    case character(Character)
    case enter, escape, tab, backTab, backspace
    case up, down, left, right, pageUp, pageDown, home, end
    /// Ctrl-C when the terminal passes it as a key (it normally arrives as SIGINT).
    case interrupt
    case resize
    /// Mouse: a click, and the wheel, at a cell.
    case click(x: Int, y: Int)
    case scrollUp(x: Int, y: Int)
    case scrollDown(x: Int, y: Int)
}

/// What a key asks for, before the controller decides what it means in the current state.
public enum ConsoleAction: String, Sendable, Equatable, CaseIterable {
    case togglePause, step, noiseUp, noiseDown, clipUp, clipDown, learningRateUp, learningRateDown
    case confirm, cancel, selectUp, selectDown, pageUp, pageDown, toggleDrop, toggleMalicious
    case focusNext, focusPrevious, filterLog, cycleTheme, toggleRecording, addMarker, quit, help
    case nextMarker, toggleChart, togglePresenter
}

/// The console's keys and what each does; the help overlay and the README list the same table.
public enum KeyMap {
    /// One line of the help overlay.
    public struct Binding: Sendable {
        public var keys: String
        public var action: ConsoleAction
        public var help: String
    }

    public static let bindings: [Binding] = [
        Binding(keys: "space", action: .togglePause, help: "pause / resume (after the current round)"),
        Binding(keys: "s", action: .step, help: "run one round while paused"),
        Binding(keys: "+ -", action: .noiseUp, help: "noise multiplier ×1.1 / ÷1.1 (pending)"),
        Binding(keys: "] [", action: .clipUp, help: "clip norm ×1.1 / ÷1.1 (pending)"),
        Binding(keys: "> <", action: .learningRateUp, help: "learning rate ×1.1 / ÷1.1 (pending)"),
        Binding(keys: "enter", action: .confirm, help: "apply the pending change; else hospital details"),
        Binding(keys: "esc", action: .cancel, help: "cancel the pending change / close"),
        Binding(keys: "↑ ↓ j k", action: .selectDown, help: "select a hospital (or scroll the log)"),
        Binding(keys: "d", action: .toggleDrop, help: "drop / restore the selected hospital"),
        Binding(keys: "x", action: .toggleMalicious, help: "mark the selected hospital malicious / honest"),
        Binding(keys: "tab", action: .focusNext, help: "move focus: hospitals, log"),
        Binding(keys: "/", action: .filterLog, help: "filter the log by kind or text"),
        Binding(keys: "g", action: .toggleChart, help: "training panel: loss / accuracy / ε spent (if not all fit)"),
        Binding(keys: "P", action: .togglePresenter, help: "presenter view: bigger figures in plain words / operator view"),
        Binding(keys: "t", action: .cycleTheme, help: "next theme"),
        Binding(keys: "r", action: .toggleRecording, help: "start / stop recording (asciicast)"),
        Binding(keys: "m", action: .addMarker, help: "add a marker to the recording"),
        Binding(keys: "?", action: .help, help: "this help"),
        Binding(keys: "q", action: .quit, help: "quit (asks first; checkpoints after the round)"),
    ]

    /// The action of a key in the console's normal state (nil: the key does nothing).
    public static func action(for key: Key) -> ConsoleAction? {
        switch key {
        case .character(" "): .togglePause
        case .character("s"): .step
        case .character("+"): .noiseUp
        case .character("-"): .noiseDown
        case .character("]"): .clipUp
        case .character("["): .clipDown
        case .character(">"): .learningRateUp
        case .character("<"): .learningRateDown
        case .enter: .confirm
        case .escape: .cancel
        case .up, .character("k"): .selectUp
        case .down, .character("j"): .selectDown
        case .pageUp: .pageUp
        case .pageDown: .pageDown
        case .character("d"): .toggleDrop
        case .character("x"): .toggleMalicious
        case .tab: .focusNext
        case .backTab: .focusPrevious
        case .character("/"): .filterLog
        case .character("g"): .toggleChart
        case .character("P"): .togglePresenter
        case .character("t"): .cycleTheme
        case .character("r"): .toggleRecording
        case .character("m"): .addMarker
        case .character("n"): .nextMarker
        case .character("q"), .interrupt: .quit
        case .character("?"): .help
        default: nil
        }
    }
}
