import Console
import Foundation
import Testing

@Suite("Themes: btop-style files, fallbacks, errors with file and line, search order")
struct ThemeTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Themes").path

    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-themes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("the shipped themes parse, at least five, with dark, light, high-contrast, colour-blind and monochrome")
    func shippedThemes() throws {
        let loader = ThemeLoader(directories: [Self.shipped])
        let names = loader.available()
        #expect(names.first == "default")
        for required in ["default", "light", "high-contrast", "colorblind", "mono"] { #expect(names.contains(required)) }
        for name in names {
            let (theme, error) = loader.load(name)
            #expect(error == nil, "\(name): \(String(describing: error))")
            #expect(theme.name == name)
            #expect(Set(theme.colors.keys) == Set(Style.Role.allCases), "every role has a colour in \(name)")
        }
        #expect(loader.load("light").theme.background == Theme.RGB(0xfa, 0xfa, 0xfa))
    }

    @Test("missing keys fall back to the default theme; comments and blank lines are skipped")
    func fallback() throws {
        let theme = try ThemeLoader.parse("# only one key\n\ntheme[hi_fg]=\"#123456\"  # trailing comment\n", name: "x", path: "x.theme")
        #expect(theme.colors[.highlight] == Theme.RGB(0x12, 0x34, 0x56))
        #expect(theme.colors[.critical] == Theme.dark.colors[.critical])
        #expect(Theme.RGB(hex: "#abc") == Theme.RGB(0xaa, 0xbb, 0xcc))
    }

    @Test("an invalid file is reported by name and line, and the default theme is used",
          arguments: [("theme[hi_fg]=\"#12\"", "is not a colour"), ("theme[nope]=\"#123456\"", "unknown key 'nope'"),
                      ("hi_fg = #123456", "expected theme[key]"), ("theme[hi_fg]=#123456", "double quotes")])
    func invalid(line: String, message: String) throws {
        let dir = try scratch()
        try "# broken\ntheme[main_fg]=\"#ffffff\"\n\(line)\n".write(toFile: dir + "/broken.theme", atomically: true, encoding: .utf8)
        let (theme, error) = ThemeLoader(directories: [dir]).load("broken")
        let e = try #require(error)
        #expect(e.path == dir + "/broken.theme" && e.line == 3, "\(e)")
        #expect(e.description.contains("broken.theme:3:") && e.description.contains(message), "\(e)")
        #expect(theme == Theme.dark)
    }

    @Test("an unknown theme name is one line naming it and the themes found; the default is used")
    func unknownName() {
        let (theme, error) = ThemeLoader(directories: [Self.shipped]).load("neon")
        #expect(theme == Theme.dark)
        let line = error?.description ?? ""
        #expect(line.hasPrefix("theme 'neon': no such theme (found: default, colorblind,") && line.contains("a path to a .theme file"), "\(line)")
        #expect(!line.contains("\n"))
    }

    @Test("a path to a theme file loads that file; a missing path is named")
    func themeByPath() throws {
        let dir = try scratch()
        try "theme[hi_fg]=\"#123456\"\n".write(toFile: dir + "/mine.theme", atomically: true, encoding: .utf8)
        let loader = ThemeLoader(directories: [])
        #expect(loader.load(dir + "/mine.theme").theme.colors[.highlight] == Theme.RGB(0x12, 0x34, 0x56))
        #expect(loader.load(dir + "/gone.theme").error?.description == dir + "/gone.theme: no such file")
    }

    @Test("search order: --theme-dir, then XDG_CONFIG_HOME, then Themes/ beside the program, then the current directory")
    func searchOrder() throws {
        let own = try scratch(), xdg = try scratch(), cwd = try scratch()
        try FileManager.default.createDirectory(atPath: xdg + "/fedtop/themes", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: cwd + "/Themes", withIntermediateDirectories: true)
        try "theme[hi_fg]=\"#000001\"\n".write(toFile: own + "/pick.theme", atomically: true, encoding: .utf8)
        try "theme[hi_fg]=\"#000002\"\n".write(toFile: xdg + "/fedtop/themes/pick.theme", atomically: true, encoding: .utf8)
        try "theme[hi_fg]=\"#000003\"\n".write(toFile: cwd + "/Themes/pick.theme", atomically: true, encoding: .utf8)
        let withDir = ThemeLoader.standard(themeDirectory: own, environment: ["XDG_CONFIG_HOME": xdg], executable: "/nonexistent/bin/fedtop",
                                           currentDirectory: cwd)
        #expect(withDir.load("pick").theme.colors[.highlight] == Theme.RGB(0, 0, 1))
        let withoutDir = ThemeLoader.standard(themeDirectory: nil, environment: ["XDG_CONFIG_HOME": xdg], executable: "/nonexistent/bin/fedtop",
                                              currentDirectory: cwd)
        #expect(withoutDir.load("pick").theme.colors[.highlight] == Theme.RGB(0, 0, 2))
        let onlyCwd = ThemeLoader.standard(themeDirectory: nil, environment: [:], executable: "/nonexistent/bin/fedtop", currentDirectory: cwd)
        #expect(onlyCwd.load("pick").theme.colors[.highlight] == Theme.RGB(0, 0, 3))
        let beside = ThemeLoader.standard(themeDirectory: nil, environment: [:], executable: Self.shipped + "/../.build/debug/fedtop",
                                          currentDirectory: cwd)
        #expect(beside.available().contains("high-contrast"))
    }

    @Test("colour depth: 256, 16, 8 (TERM=xterm, screen), or monochrome without colours or with NO_COLOR")
    func depth() {
        #expect(ColorDepth.detect(colors: 256, hasColors: true, environment: [:]) == .xterm256)
        #expect(ColorDepth.detect(colors: 16, hasColors: true, environment: [:]) == .ansi16)
        #expect(ColorDepth.detect(colors: 8, hasColors: true, environment: [:]) == .ansi8)
        #expect(ColorDepth.detect(colors: 0, hasColors: false, environment: [:]) == .monochrome)
        #expect(ColorDepth.detect(colors: 256, hasColors: true, environment: ["NO_COLOR": "1"]) == .monochrome)
        #expect(Theme.RGB(255, 0, 0).xterm256 == 196 && Theme.RGB(0x80, 0x80, 0x80).xterm256 == 244)
        #expect(Theme.RGB(255, 0, 0).ansi16 == 9)
    }
}
