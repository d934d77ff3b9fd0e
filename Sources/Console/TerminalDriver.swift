import CNcursesW
import Foundation

/// The only code that talks to curses: it starts ncursesw (locale first, wide characters, the
/// terminal's default colours), reads keys with a timeout (blocking, so an idle console sleeps),
/// writes only the cells that changed since the last frame, and restores the terminal.
///
/// Contract: one thread uses a driver. ``stop()`` is idempotent and is also registered with
/// `atexit`, so the terminal is restored however the process ends short of a crash; the session
/// calls it on quit, on SIGINT/SIGTERM and when an error unwinds.
public final class TerminalDriver {
    /// Options from the command line.
    public struct Options: Sendable {
        public var mouse: Bool
        /// Overrides detection (tests, `NO_COLOR`); nil: detect.
        public var depth: ColorDepth?

        public init(mouse: Bool = true, depth: ColorDepth? = nil) {
            self.mouse = mouse
            self.depth = depth
        }
    }

    public private(set) var depth = ColorDepth.monochrome
    /// Set when curses runs with another terminfo entry than `TERM` names (see ``TerminalEntry``).
    public private(set) var note: String?
    private var palette = Palette(theme: .dark, depth: .monochrome)
    private var previous: Screen?
    private var started = false
    private var theme = Theme.dark
    nonisolated(unsafe) private static var active = false

    public init() {}

    /// Starts curses on the controlling terminal, with the entry ``TerminalEntry`` picks for `TERM`
    /// (``note`` then says which); throws when no entry can be used (the caller falls back to lines).
    public func start(options: Options, theme: Theme, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        setlocale(LC_ALL, "")
        // Characters from the user's locale (wide glyphs), numbers from C's: the process may also parse
        // numbers with strtod (fedtop serve's request reader), which follows LC_NUMERIC (a "," decimal
        // point in de_DE would make every "0.5" read short).
        setlocale(LC_NUMERIC, "C")
        let term = environment["TERM"]
        guard let choice = TerminalEntry.resolve(term: term, known: Self.hasEntry) else {
            throw ConsoleError.terminal(TerminalEntry.noEntryNote(term: term))
        }
        // newterm, unlike initscr, answers nil instead of exiting when the entry cannot be used.
        guard let output = fdopen(STDOUT_FILENO, "w"), let input = fdopen(STDIN_FILENO, "r"),
              newterm(choice.entry, output, input) != nil else {
            throw ConsoleError.terminal("curses could not start on this terminal (TERM=\(term ?? ""), entry '\(choice.entry)')")
        }
        note = choice.note
        started = true
        if !Self.active {
            Self.active = true
            atexit { if TerminalDriver.active { endwin() } }
        }
        cbreak()
        noecho()
        nonl()
        keypad(fedtop_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        leaveok(fedtop_stdscr(), true)
        if options.mouse { mousemask(mmask_t(fedtop_all_mouse_events()), nil) }
        if has_colors() { start_color(); use_default_colors() }
        depth = options.depth ?? ColorDepth.detect(colors: Int(fedtop_colors()), hasColors: has_colors(), environment: environment)
        setTheme(theme)
    }

    /// Restores the terminal (idempotent).
    public func stop() {
        guard started else { return }
        started = false
        Self.active = false
        endwin()
        fflush(nil)
    }

    /// False once the terminal has hung up (its window closed, the tmux session killed): the
    /// session then stops as on SIGHUP, which a shell does not always pass on.
    /// Whether this machine has a terminfo entry called `name` (asked without starting curses).
    public static func hasEntry(_ name: String) -> Bool { fedtop_terminfo_known(name) == 1 }

    public var terminalAttached: Bool { tcgetpgrp(1) >= 0 }

    /// Columns and rows of the terminal now.
    public var size: (width: Int, height: Int) { (Int(fedtop_getmaxx(fedtop_stdscr())), Int(fedtop_getmaxy(fedtop_stdscr()))) }

    /// Colours for each role (the ``Palette`` of the theme at this depth); the next frame is drawn in full.
    public func setTheme(_ theme: Theme) {
        self.theme = theme
        palette = Palette(theme: theme, depth: depth)
        previous = nil
        guard depth != .monochrome else { return }
        for (i, role) in Style.Role.allCases.enumerated() {
            let entry = palette[role]
            init_pair(Int16(i + 1), Int16(entry.foreground), Int16(entry.background))
        }
        init_pair(Int16(Style.Role.allCases.count + 1), -1, Int16(palette.background))
        wbkgdset(fedtop_stdscr(), chtype(fedtop_color_pair(Int32(Style.Role.allCases.count + 1))))
        wclear(fedtop_stdscr())
    }

    /// Waits up to `milliseconds` for a key (nil on timeout).
    public func readKey(timeout milliseconds: Int) -> Key? {
        wtimeout(fedtop_stdscr(), Int32(milliseconds))
        var ch: wint_t = 0
        let r = fedtop_get_wch(&ch)
        if r == fedtop_err() { return nil }
        let code = Int32(bitPattern: ch)
        if r == fedtop_key_code_yes() {
            switch code {
            case fedtop_key_resize(): previous = nil; return .resize
            case fedtop_key_up(): return .up
            case fedtop_key_down(): return .down
            case fedtop_key_left(): return .left
            case fedtop_key_right(): return .right
            case fedtop_key_npage(): return .pageDown
            case fedtop_key_ppage(): return .pageUp
            case fedtop_key_home(): return .home
            case fedtop_key_end(): return .end
            case fedtop_key_enter(): return .enter
            case fedtop_key_backspace(), fedtop_key_dc(): return .backspace
            case fedtop_key_btab(): return .backTab
            case fedtop_key_mouse():
                var x: Int32 = 0, y: Int32 = 0
                var state: UInt = 0
                guard fedtop_get_mouse(&x, &y, &state) == fedtop_ok() else { return nil }
                if state & fedtop_button4_pressed() != 0 { return .scrollUp(x: Int(x), y: Int(y)) }
                if fedtop_button5_pressed() != 0, state & fedtop_button5_pressed() != 0 { return .scrollDown(x: Int(x), y: Int(y)) }
                if state & fedtop_button1_pressed() != 0 { return .click(x: Int(x), y: Int(y)) }
                return nil
            default: return nil
            }
        }
        switch ch {
        case 10, 13: return .enter
        case 27: return .escape
        case 9: return .tab
        case 127, 8: return .backspace
        case 3: return .interrupt
        default:
            guard let scalar = Unicode.Scalar(UInt32(ch)) else { return nil }
            return .character(Character(scalar))
        }
    }

    /// Sends the cells that changed since the last frame (all after a resize or theme change).
    public func draw(_ screen: Screen) {
        let changed = screen.changes(since: previous)
        if previous == nil || previous?.width != screen.width || previous?.height != screen.height { wclear(fedtop_stdscr()) }
        guard !changed.isEmpty else { return }
        for i in changed {
            let cell = screen.cells[i]
            guard let scalar = cell.scalar else { continue }
            let y = i / screen.width, x = i % screen.width
            if y == screen.height - 1 && x == screen.width - 1 { continue }  // writing the last cell scrolls
            let (attrs, pair) = attributes(cell.style)
            _ = fedtop_put_wide(Int32(y), Int32(x), wchar_t(bitPattern: scalar.value), attrs, pair)
        }
        wnoutrefresh(fedtop_stdscr())
        doupdate()
        previous = screen
    }

    private func attributes(_ style: Style) -> (UInt32, Int16) {
        var a = fedtop_a_normal()
        if style.bold { a |= fedtop_a_bold() }
        if style.reverse { a |= fedtop_a_reverse() }
        if style.underline { a |= fedtop_a_underline() }
        guard depth != .monochrome else {
            switch style.role {
            case .title, .critical, .paused, .phaseActive, .marker: a |= fedtop_a_bold()
            case .dim, .phaseIdle, .border: a |= fedtop_a_dim()
            case .selected: a |= fedtop_a_reverse()
            default: break
            }
            return (a, 0)
        }
        if palette[style.role].dim { a |= fedtop_a_dim() }
        return (a, Int16(Style.Role.allCases.firstIndex(of: style.role)! + 1))
    }
}

/// Why the console could not run.
public enum ConsoleError: Error, CustomStringConvertible {
    /// The terminal cannot host the console.
    case terminal(String)
    /// A recording or journal could not be written or read.
    case recording(String)

    public var description: String {
        switch self {
        case .terminal(let s): "terminal: \(s)"
        case .recording(let s): "recording: \(s)"
        }
    }
}
