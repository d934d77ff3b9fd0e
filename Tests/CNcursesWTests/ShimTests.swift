import CNcursesW
import Foundation
import Testing

/// The ncursesw shim: wide characters and the macros Swift cannot import, on a real curses screen
/// (a `newterm` writing to /dev/null, so no terminal is needed).
@Suite("CNcursesW shim", .serialized)
struct ShimTests {
    @Test("wrapped macros give ncurses's values")
    func macros() {
        #expect(fedtop_color_pair(3) == 3 << 8)
        #expect(fedtop_pair_number(fedtop_color_pair(5) | Int32(bitPattern: fedtop_a_bold())) == 5)
        #expect(fedtop_key_resize() == 0o632)
        #expect(fedtop_a_bold() != 0 && fedtop_a_bold() != fedtop_a_reverse())
        #expect(fedtop_ok() == 0 && fedtop_err() == -1)
    }

    @Test("a wide character (ε, braille) written through the shim reads back from the screen")
    func wideCharacters() throws {
        setlocale(LC_ALL, "C.UTF-8")
        let output = try #require(fopen("/dev/null", "w")), input = try #require(fopen("/dev/null", "r"))
        defer { fclose(output); fclose(input) }
        let screen = try #require(newterm("xterm-256color", output, input))
        defer { endwin(); delscreen(screen) }
        #expect(fedtop_lines() > 0 && fedtop_cols() > 0)
        for (x, scalar) in [(0, "ε"), (1, "⣿"), (2, "σ")].map({ ($0.0, $0.1.unicodeScalars.first!.value) }) {
            #expect(fedtop_put_wide(1, Int32(x), wchar_t(scalar), fedtop_a_bold(), 0) == fedtop_ok())
            var cell = cchar_t()
            #expect(mvin_wch(1, Int32(x), &cell) == fedtop_ok())
            var text = [wchar_t](repeating: 0, count: 8)
            var attrs: attr_t = 0
            var pair: Int16 = 0
            #expect(getcchar(&cell, &text, &attrs, &pair, nil) == fedtop_ok())
            #expect(UInt32(text[0]) == scalar)
            #expect(attrs & attr_t(fedtop_a_bold()) != 0)
        }
    }

    @Test("fedtop_terminfo_known answers for a missing entry instead of exiting, and keeps the current terminal")
    func terminfoProbe() {
        #expect(fedtop_terminfo_known("vt100") == 1)
        #expect(fedtop_terminfo_known("xterm-no-such-entry") == 0)
        #expect(fedtop_terminfo_known("xterm") == 1)
    }
}
