import Console
import Testing

@Suite("TerminalEntry: which terminfo entry to start curses with when TERM's is missing")
struct TerminalEntryTests {
    @Test("the order: TERM, its suffixes dropped, the 256-colour or xterm family entry, vt100 last")
    func candidates() {
        #expect(TerminalEntry.candidates(for: "xterm-16color") == ["xterm-16color", "xterm", "vt100"])
        #expect(TerminalEntry.candidates(for: "screen-256color-bce") == ["screen-256color-bce", "screen-256color", "screen", "xterm-256color",
                                                                          "xterm", "vt100"])
        #expect(TerminalEntry.candidates(for: "nonsense") == ["nonsense", "vt100"])
        #expect(TerminalEntry.candidates(for: "vt100") == ["vt100"])
        #expect(TerminalEntry.candidates(for: "") == [] && TerminalEntry.candidates(for: "dumb") == [])
    }

    @Test("the first known entry is used, with a one-line note when it is not TERM's")
    func resolve() {
        let known: Set = ["xterm", "vt100", "xterm-256color"]
        #expect(TerminalEntry.resolve(term: "xterm-256color", known: known.contains) == .init(entry: "xterm-256color", note: nil))
        let fallback = TerminalEntry.resolve(term: "xterm-16color", known: known.contains)
        #expect(fallback == .init(entry: "xterm", note: "no terminfo entry for TERM=xterm-16color; the console uses 'xterm'"))
        #expect(TerminalEntry.resolve(term: "nonsense", known: known.contains)?.entry == "vt100")
        #expect(TerminalEntry.resolve(term: "nonsense", known: { _ in false }) == nil)
        #expect(TerminalEntry.resolve(term: nil, known: known.contains) == nil)
    }

    @Test("no entry at all: one line saying what was tried and that line output follows")
    func noEntry() {
        #expect(TerminalEntry.noEntryNote(term: "nonsense") == "no terminfo entry for TERM=nonsense (nor vt100): line output instead of the console")
        #expect(TerminalEntry.noEntryNote(term: nil) == "TERM is not set: line output instead of the console")
        #expect(TerminalEntry.noEntryNote(term: "dumb") == "TERM is 'dumb': line output instead of the console")
        #expect(!TerminalEntry.noEntryNote(term: "a-b-c").contains("\n"))
    }

    @Test("this machine's terminfo answers without exiting: xterm and vt100 are known, a made-up name is not")
    func probe() {
        #expect(TerminalDriver.hasEntry("xterm") && TerminalDriver.hasEntry("vt100"))
        #expect(!TerminalDriver.hasEntry("fedtop-no-such-terminal"))
        #expect(TerminalEntry.resolve(term: "fedtop-no-such-terminal-256color", known: TerminalDriver.hasEntry)?.entry == "xterm-256color")
    }
}
