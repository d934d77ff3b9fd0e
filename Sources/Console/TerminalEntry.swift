/// Which terminfo entry the console starts curses with when `TERM` names one this machine may not
/// have (`xterm-16color` without its entry, a typo, a terminal from another system).
///
/// Contract: ``candidates(for:)`` is the order to try: `TERM` itself, then the same name with its
/// suffixes dropped one by one (`xterm-16color` → `xterm`), then `xterm-256color` for a
/// `…256color` name, `xterm` for the xterm-like families (screen, tmux, rxvt, …), and last
/// `vt100` (no colour, which any terminal emulator understands). ``resolve(term:known:)`` picks
/// the first that `known` accepts and says in one line what was used instead; nil when none is
/// known, and the caller falls back to line output with ``noEntryNote(term:)``. An unset,
/// empty or `dumb` TERM has no entry to use.
public enum TerminalEntry {
    /// The entry chosen, and a note when it is not `TERM` itself.
    public struct Choice: Sendable, Equatable {
        public var entry: String
        public var note: String?

        public init(entry: String, note: String?) {
            self.entry = entry
            self.note = note
        }
    }

    static let xtermLike = ["xterm", "screen", "tmux", "rxvt", "putty", "konsole", "gnome", "vte", "alacritty", "kitty",
                            "foot", "wezterm", "iterm", "linux", "ansi"]

    /// The entries to try for `term`, in order, without repeats.
    public static func candidates(for term: String) -> [String] {
        guard !term.isEmpty, term != "dumb" else { return [] }
        var names = [term]
        var stem = term
        while let dash = stem.lastIndex(of: "-") {
            stem = String(stem[..<dash])
            if !stem.isEmpty { names.append(stem) }
        }
        if term.contains("256col") { names.append("xterm-256color") }
        let family = term.split(separator: "-").first.map(String.init) ?? term
        if xtermLike.contains(where: { family.hasPrefix($0) }) { names.append("xterm") }
        names.append("vt100")
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }

    /// The first candidate `known` accepts, with a note when it is not `term`.
    public static func resolve(term: String?, known: (String) -> Bool) -> Choice? {
        let term = term ?? ""
        guard let entry = candidates(for: term).first(where: known) else { return nil }
        return Choice(entry: entry, note: entry == term ? nil : "no terminfo entry for TERM=\(term); the console uses '\(entry)'")
    }

    /// The one line said when no entry can be used.
    public static func noEntryNote(term: String?) -> String {
        let term = term ?? ""
        if term.isEmpty || term == "dumb" { return "TERM is \(term.isEmpty ? "not set" : "'dumb'"): line output instead of the console" }
        return "no terminfo entry for TERM=\(term) (nor \(candidates(for: term).dropFirst().joined(separator: ", "))): line output instead of the console"
    }
}
