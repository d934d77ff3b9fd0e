import Foundation
import Testing

@Suite("fedtop --theme: a theme that cannot be loaded stops fedtop before the console, in one line")
struct ThemeOptionTests {
    @Test("an unknown theme name: exit 2, one line naming it and the themes there are")
    func unknownTheme() throws {
        let r = try CommandRunner.run(["run", "--dataset", "wdbc", "--rounds", "1", "--theme", "nope"])
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("theme 'nope': no such theme (found: default,"), "\(r.stderr)")
        #expect(!r.stdout.contains("round 1/1"), "nothing ran")
    }

    @Test("a broken theme file: exit 2, one line naming the file and the line")
    func brokenThemeFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-theme-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "# mine\ntheme[main_fg]=\"#ffffff\"\n\ntheme[accuracy]=\"gren\"\n".write(toFile: dir + "/x.theme", atomically: true, encoding: .utf8)
        for arguments in [["--theme", dir + "/x.theme"], ["--theme-dir", dir, "--theme", "x"]] {
            let r = try CommandRunner.run(["run", "--dataset", "wdbc", "--rounds", "1"] + arguments)
            #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(dir + "/x.theme:4:") && r.stderr.contains("'gren'"),
                    "\(r.stderr)")
        }
    }
}
