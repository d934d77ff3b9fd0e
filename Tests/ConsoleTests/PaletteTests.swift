import Console
import Foundation
import Testing

@Suite("Palette: each theme's colours at 256, 16, 8 colours and none, with contrast")
struct PaletteTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Themes").path

    /// Every theme file in Themes/, loaded with ThemeLoader.
    static func shippedThemes() throws -> [Theme] {
        let files = try FileManager.default.contentsOfDirectory(atPath: shipped).filter { $0.hasSuffix(".theme") }.sorted()
        return try files.map { try ThemeLoader.parse(contentsOf: shipped + "/" + $0, name: String($0.dropLast(6))) }
    }

    /// What breaks the contrast rule in `theme` drawn at `depth`: one line per failing role.
    /// Reverse video (header, footer, selected row) swaps a pair's colours, so the pair is checked once.
    static func violations(_ theme: Theme, _ depth: ColorDepth) -> [String] {
        let palette = Palette(theme: theme, depth: depth)
        var found: [String] = []
        for role in Style.Role.allCases {
            let e = palette[role]
            let limit = Palette.count(depth)
            if e.foreground >= limit || e.background >= limit || palette.background >= limit {
                found.append("\(theme.name) @\(depth.rawValue) \(role): colour \(e.foreground)/\(e.background) beyond \(limit)")
            }
            if e.foreground >= 0 && e.foreground == e.background {
                found.append("\(theme.name) @\(depth.rawValue) \(role): foreground = background (\(e.foreground))")
            } else if e.foreground < 0 && e.background >= 0 {
                found.append("\(theme.name) @\(depth.rawValue) \(role): the terminal's foreground on colour \(e.background)")
            } else if !Palette.keepsContrast(foreground: e.foreground, background: e.background) {
                found.append("\(theme.name) @\(depth.rawValue) \(role): \(e.foreground) on \(e.background) below the contrast rule")
            }
            // On the terminal's background (black or white), black or white text can vanish.
            if e.background < 0, e.foreground >= 0, [0, 16, 15, 231].contains(e.foreground) {
                found.append("\(theme.name) @\(depth.rawValue) \(role): colour \(e.foreground) on the terminal's background")
            }
        }
        return found
    }

    @Test("every theme in Themes/ at every depth: no role drawn in its background's colour or below the contrast rule",
          arguments: ColorDepth.allCases)
    func everyThemeKeepsContrast(depth: ColorDepth) throws {
        let themes = try Self.shippedThemes()
        #expect(themes.count >= 5)
        for theme in themes {
            let found = Self.violations(theme, depth)
            #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
        }
    }

    @Test("a bad theme is caught: a border drawn in the background's colour, blue on a black terminal, white on white",
          arguments: [
              "theme[main_bg]=\"#101010\"\ntheme[div_line]=\"#101010\"",
              "theme[main_bg]=\"\"\ntheme[div_line]=\"#000000\"",
              "theme[main_bg]=\"\"\ntheme[accuracy]=\"#0000d0\"",
              "theme[main_bg]=\"\"\ntheme[title]=\"#ffffff\"",
              "theme[main_bg]=\"#fafafa\"\ntheme[selected_fg]=\"#202020\"\ntheme[selected_bg]=\"#303030\"",
          ])
    func badThemeIsCaught(text: String) throws {
        let theme = try ThemeLoader.parse(text, name: "bad", path: "bad.theme")
        // At 256 colours the theme is drawn as written, so the rule catches the theme itself.
        #expect(!Self.violations(theme, .xterm256).isEmpty)
        // At 16 and 8 colours the palette picks colours that keep the rule.
        #expect(Self.violations(theme, .ansi16).isEmpty && Self.violations(theme, .ansi8).isEmpty)
    }

    @Test("contrast ratios match WCAG 2's")
    func wcag() {
        #expect(abs(Palette.contrast(Theme.RGB(0, 0, 0), Theme.RGB(255, 255, 255)) - 21) < 0.01)
        #expect(abs(Palette.contrast(Theme.RGB(0x76, 0x76, 0x76), Theme.RGB(255, 255, 255)) - 4.54) < 0.02)
        #expect(Palette.contrast(Theme.RGB(9, 9, 9), Theme.RGB(9, 9, 9)) == 1)
    }

    @Test("the colour numbers each role gets: the default theme at 256, 16 and 8 colours, and none")
    func defaultThemeNumbers() {
        let p256 = Palette(theme: .dark, depth: .xterm256)
        #expect(p256.background == -1)
        #expect(p256[.critical] == .init(foreground: 203, background: -1))  // #ff5f5f
        #expect(p256[.accuracy] == .init(foreground: 78, background: -1))  // #5fd787
        #expect(p256[.dim].foreground == 242 && p256[.selected] == .init(foreground: 231, background: 237))

        let p16 = Palette(theme: .dark, depth: .ansi16)
        #expect(p16[.critical].foreground == 9 && p16[.accuracy].foreground == 2 && p16[.text].foreground == 7)
        #expect(p16[.dim] == .init(foreground: 8, background: -1))
        #expect(p16[.selected] == .init(foreground: 15, background: 0))
        #expect(p16[.title].foreground == 7, "bright white (15) would vanish on a white terminal")

        // 8 colours: nothing beyond 7, no black on the terminal's background; greys are white drawn dim.
        let p8 = Palette(theme: .dark, depth: .ansi8)
        for role in Style.Role.allCases { #expect((1...7).contains(p8[role].foreground), "\(role): \(p8[role])") }
        #expect(p8[.critical].foreground == 1 && p8[.accuracy].foreground == 2 && p8[.highlight].foreground == 6)
        #expect(p8[.evalLoss].foreground == 5 && p8[.marker].foreground == 3)
        #expect(p8[.dim] == .init(foreground: 7, background: -1, dim: true))
        #expect(p8[.border].dim && p8[.phaseIdle].dim && !p8[.text].dim)

        let mono = Palette(theme: .dark, depth: .monochrome)
        #expect(Style.Role.allCases.allSatisfy { mono[$0] == .init(foreground: -1, background: -1) })
    }

    @Test("a light theme at 8 colours: dark colours on the light grey background, never the background's own")
    func lightThemeAtEight() throws {
        let light = try ThemeLoader.parse(contentsOf: Self.shipped + "/light.theme", name: "light")
        let p8 = Palette(theme: light, depth: .ansi8)
        #expect(p8.background == 7)
        for role in Style.Role.allCases where role != .selected {
            #expect([0, 1, 4, 5].contains(p8[role].foreground), "\(role): \(p8[role])")
        }
    }

    @Test("colour numbers name xterm's colours: the ANSI 16, the 6×6×6 cube and the grey ramp")
    func xtermColours() {
        #expect(Palette.rgb(1) == Theme.RGB(205, 0, 0) && Palette.rgb(196) == Theme.RGB(255, 0, 0))
        #expect(Palette.rgb(244) == Theme.RGB(128, 128, 128) && Palette.rgb(16) == Theme.RGB(0, 0, 0))
        for n in 16..<256 { #expect(Palette.rgb(n).xterm256 == n || Palette.rgb(Palette.rgb(n).xterm256) == Palette.rgb(n)) }
        #expect(Palette.nearest(Theme.RGB(0xff, 0x5f, 0x5f), depth: .ansi8) == 1)
        #expect(Palette.nearest(Theme.RGB(0xff, 0x5f, 0x5f), depth: .ansi16) == 9)
    }
}

/// The whole dashboard, as drawn, at every colour depth with every shipped theme.
@Suite("Dashboard colours: every theme at 256, 16, 8 colours and none")
struct DashboardColourSnapshotTests {
    @Test("no visible cell of the crowded dashboard is drawn in its background's colour", arguments: ColorDepth.allCases)
    func noInvisibleText(depth: ColorDepth) throws {
        let view = RichScenario.view(hospitals: 3)
        for theme in try PaletteTests.shippedThemes() {
            let palette = Palette(theme: theme, depth: depth)
            for (w, h) in LayoutTests.sizes {
                let screen = Snapshot.render(view, width: w, height: h, .unicode)
                var invisible: [String] = []
                for cell in screen.cells where cell.scalar != nil && cell.scalar != " " {
                    let e = palette[cell.style.role]
                    let fg = e.foreground < 0 ? palette.background : e.foreground
                    if depth != .monochrome, fg == e.background { invisible.append("\(cell.style.role)") }
                }
                #expect(invisible.isEmpty, "\(theme.name) at \(depth), \(w)×\(h): \(invisible.count) cells in \(Set(invisible))")
            }
        }
    }

    @Test("the default theme's dashboard as ANSI escapes, at each depth, matches its fixture", arguments: ColorDepth.allCases)
    func ansiFixtures(depth: ColorDepth) throws {
        let screen = Snapshot.render(RichScenario.view(hospitals: 3), width: 120, height: 36, .unicode)
        let ansi = AnsiEncoder(theme: .dark, depth: depth).encode(screen, since: nil)
        #expect(depth != .ansi8 || !ansi.contains("\u{1b}[30;40m") && !ansi.contains("\u{1b}[30m\u{1b}[40m"), "no black on black")
        try Snapshot.check(ansi.replacingOccurrences(of: "\u{1b}", with: "\\e"), named: "ansi-default-\(depth.rawValue)-120x36")
    }
}
