import ArgumentParser
import Console
import Foundation

/// The console's options, shared by `fedtop run` and `fedtop replay`.
struct ConsoleOptions: ParsableArguments {
    @Option(help: "Console refresh rate in frames per second (1–60); the console sleeps between frames.") var fps = 10
    @Flag(help: "ASCII only: for terminals without braille, box drawing or Greek letters (eps, sigma).") var ascii = false
    @Flag(help: "Do not use the mouse (clicks select hospitals, the wheel scrolls).") var noMouse = false
    @Option(help: "Colour theme by name (see Themes/: default, light, high-contrast, colorblind, mono, ...) or a .theme file's path.") var theme = "default"
    @Option(help: "Look for themes in this folder first.") var themeDir: String?
    @Flag(help: "Start in the presenter view: bigger figures, plain-language labels, the privacy story per round and a final summary screen (P switches views).") var present = false

    func validate() throws {
        guard (1...60).contains(fps) else { throw ValidationError("--fps must be between 1 and 60, got \(fps)") }
        if let themeDir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: themeDir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--theme-dir \(themeDir): no such folder")
            }
        }
        guard !theme.isEmpty else { throw ValidationError("--theme takes a theme's name or a .theme file, got ''") }
        // A theme that cannot be used is an error here, before the console takes the screen.
        if let error = themeLoader.load(theme).error { throw ValidationError("\(error)") }
    }

    /// Where themes are looked for, in order.
    var themeLoader: ThemeLoader { Self.themeLoader(themeDir: themeDir) }

    /// Where themes are looked for, in order: `themeDir` first, then the standard places.
    static func themeLoader(themeDir: String?) -> ThemeLoader {
        ThemeLoader.standard(themeDirectory: themeDir, environment: ProcessInfo.processInfo.environment,
                             executable: CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
                                 : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0],
                             currentDirectory: FileManager.default.currentDirectoryPath)
    }

    func sessionOptions(title: String, record: String?, recordingDirectory: String) -> ConsoleSession.Options {
        ConsoleSession.Options(framesPerSecond: fps, glyphs: ascii ? .ascii : .unicode, mouse: !noMouse, themeName: theme,
                               themes: themeLoader, recordPath: record, recordingDirectory: recordingDirectory, title: title,
                               presenter: present)
    }

    /// Whether stdin and stdout are a terminal (else the console falls back to line output).
    static var hasTerminal: Bool { isatty(0) == 1 && isatty(1) == 1 }

    /// Whether this process owns the terminal now: it is in the terminal's foreground process group. A job
    /// started with `&` is not, and drawing on the terminal would stop it (SIGTTOU/SIGTTIN).
    static var inForeground: Bool { tcgetpgrp(1) == getpgrp() }
}

/// `fedtop serve run`'s live panel: on a terminal unless `--lines`; the run console's themes and glyphs.
struct ServePanelOptions: ParsableArguments {
    @Flag(help: "A line a second on stdout even on a terminal (no live panel).") var lines = false
    @Flag(help: "ASCII only: for terminals without braille, box drawing or Greek letters.") var ascii = false
    @Option(help: "The panel's colour theme (as fedtop run's --theme).") var theme = "default"
    @Option(help: "Look for themes in this folder first.") var themeDir: String?

    func validate() throws {
        guard !theme.isEmpty else { throw ValidationError("--theme takes a theme's name or a .theme file, got ''") }
        if let error = ConsoleOptions.themeLoader(themeDir: themeDir).load(theme).error { throw ValidationError("\(error)") }
    }

    /// Whether to draw the panel: a terminal on stdin and stdout, and no `--lines`.
    /// A background job (`fedtop serve run … &`) prints lines instead: a panel would stop it.
    var wantsPanel: Bool { !lines && ConsoleOptions.hasTerminal && ConsoleOptions.inForeground }
}
