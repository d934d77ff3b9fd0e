import Foundation

/// The loop of `fedtop serve`'s live panel (``ServeDashboard``): takes the terminal, each second asks
/// the server for its last second (`sample`) and its problems, redraws on a change of second, a key
/// or a resize, and gives the terminal back exactly as it was.
///
/// Contract: ``run(model:sample:problems:finished:quit:)`` returns when `finished()` is true (the
/// server stopped: Ctrl-C and SIGTERM reach the server itself); `q` calls `quit()` once and keeps
/// drawing until the server has stopped; `t` cycles the themes. The panel never writes to stdout
/// outside the terminal's screen.
public final class ServePanelSession {
    private let terminal: any Terminal
    private let themes: ThemeLoader
    private var themeName: String
    private let glyphs: Glyphs

    public init(terminal: any Terminal = TerminalDriver(), themes: ThemeLoader, themeName: String, glyphs: Glyphs) {
        self.terminal = terminal
        self.themes = themes
        self.themeName = themeName
        self.glyphs = glyphs
    }

    /// Returns the model as last drawn.
    public func run(model start: ServeDashboardModel, sample: () -> ServeSample, problems: () -> [String], finished: () -> Bool,
                    quit: () -> Void) throws -> ServeDashboardModel {
        let loaded = themes.load(themeName)
        if let e = loaded.error { throw e }
        try terminal.begin(options: TerminalDriver.Options(mouse: false), theme: loaded.theme)
        defer { terminal.end() }
        let context = RenderContext(glyphs: glyphs, monochrome: terminal.depth == .monochrome)
        var model = start
        let started = DispatchTime.now().uptimeNanoseconds
        var nextSample = started + 1_000_000_000
        var quitting = false
        var dirty = true
        while !finished() {
            let now = DispatchTime.now().uptimeNanoseconds
            if now >= nextSample {
                model.append(sample())
                model.problems = problems()
                model.uptime = Double(now - started) / 1e9
                nextSample += 1_000_000_000
                if nextSample <= now { nextSample = now + 1_000_000_000 }  // a stall: no burst of catch-up samples
                dirty = true
            }
            if dirty {
                let size = terminal.size
                var screen = Screen(width: size.width, height: size.height)
                if glyphs.isASCII { screen.ellipsis = "..." }
                ServeDashboard.draw(model, on: &screen, context: context)
                if glyphs.isASCII { screen.replaceNonASCII() }
                terminal.draw(screen)
                dirty = false
            }
            let wait = max(1, Int((nextSample - min(nextSample, DispatchTime.now().uptimeNanoseconds)) / 1_000_000))
            switch terminal.readKey(timeout: min(wait, 250)) {
            case .character("q"), .interrupt:
                if !quitting {
                    quitting = true
                    quit()
                    model.problems.append("stopping: finishing the requests in flight")
                    dirty = true
                }
            case .character("t"):
                cycleTheme()
                dirty = true
            case .resize:
                dirty = true
            default:
                break
            }
        }
        return model
    }

    private func cycleTheme() {
        let names = themes.available()
        guard !names.isEmpty else { return }
        let i = names.firstIndex(of: themeName) ?? -1
        let name = names[(i + 1) % names.count]
        let loaded = themes.load(name)
        themeName = loaded.error == nil ? name : "default"
        terminal.setTheme(loaded.theme)
    }
}
