import ArgumentParser
import Console
import Federation
import Foundation

/// `fedtop replay FILE`: a recording without compute. A journal (`*.journal.jsonl`) is re-rendered
/// in the live console (space pauses, `s` steps, `+`/`-` change the speed, `n` jumps to the next
/// marker); a `.cast` plays back as recorded in the terminal's alternate screen with the same keys
/// (and `p` for the previous marker), and the terminal comes back as it was. Without a terminal (or
/// with `--headless`) a journal prints the same lines as a headless run; a `.cast` says it needs a
/// terminal (and names the journal beside it) and exits 2. Which it is comes from the first line.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay", abstract: "Replay a recorded run: a journal in the console, or a .cast as recorded.")

    @Argument(help: "A recording: FILE.cast (played as recorded) or FILE.journal.jsonl (re-rendered in the console).")
    var file: String
    @Option(help: "Playback speed (2 = twice as fast).") var speed = 1.0
    @Flag(help: "Print a journal's rounds as lines instead of opening the console.") var headless = false
    @OptionGroup(title: "Console") var console: ConsoleOptions

    func validate() throws {
        guard speed > 0, speed.isFinite, speed <= 1000 else { throw ValidationError("--speed must be in (0, 1000], got \(speed)") }
        guard FileManager.default.fileExists(atPath: file) else { throw ValidationError("\(file): no such file") }
    }

    /// What a recording file is, from its first line.
    enum Kind { case journal, cast }

    /// A journal's header has `journal`, a cast's `version`; anything else is a usage error naming the file.
    static func kind(of file: String) throws -> Kind {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw ValidationError("\(file): cannot read it") }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 1 << 16)) ?? Data()
        let first = head.split(separator: UInt8(ascii: "\n"), maxSplits: 1).first ?? Data()
        let header = (try? JSONSerialization.jsonObject(with: Data(first))) as? [String: Any]
        if header?["journal"] != nil { return .journal }
        if header?["version"] != nil { return .cast }
        throw ValidationError("\(file):1: not a fedtop journal or an asciicast recording (expected FILE.journal.jsonl or FILE.cast)")
    }

    /// A reading error as one line (without the error's category).
    static func line(_ error: ConsoleError) -> String {
        switch error { case .recording(let s), .terminal(let s): s }
    }

    func run() throws {
        switch try Self.kind(of: file) {
        case .cast: try playCast()
        case .journal: try replayJournal()
        }
    }

    private func playCast() throws {
        let cast: CastPlayer.Cast
        do { cast = try CastPlayer.read(file) } catch { throw ValidationError(Self.line(error)) }
        if headless || !ConsoleOptions.hasTerminal {
            throw ValidationError(Self.castNeedsTerminal(file, headless: headless))
        }
        let terminal: RawTerminal
        do { terminal = try RawTerminal(farewell: CastPlayer.leaveScreen) } catch { throw ValidationError(Self.line(error)) }
        CastPlayer(cast: cast, speed: speed).play(rows: terminal.rows, key: { terminal.key(timeout: $0) }, write: terminal.write)
        terminal.restore(sayingFarewell: false)
    }

    /// Why a `.cast` is not printed as lines, and what to run instead.
    static func castNeedsTerminal(_ file: String, headless: Bool) -> String {
        let why = headless ? "--headless" : "no terminal (stdin or stdout is not a tty)"
        let journal = String(file.dropLast(file.hasSuffix(".cast") ? 5 : 0)) + ".journal.jsonl"
        let instead = FileManager.default.fileExists(atPath: journal)
            ? "play it in a terminal, or `fedtop replay \(journal) --headless` for its rounds as lines"
            : "play it in a terminal (there is no \(journal) beside it to print as lines)"
        return "\(why): \(file) is a terminal recording (escape codes, not lines): \(instead)"
    }

    private func replayJournal() throws {
        let journal: EventJournal.Contents
        do { journal = try EventJournal.read(file) } catch { throw ValidationError(Self.line(error)) }
        let warning = journal.warning.map { "fedtop: warning: \($0)\n" }
        if headless || !ConsoleOptions.hasTerminal {
            if !headless { FileHandle.standardError.write(Data("fedtop: no terminal: the journal's rounds as lines\n".utf8)) }
            if let warning { FileHandle.standardError.write(Data(warning.utf8)) }
            return printLines(journal.lines)
        }
        let feed = ReplayFeed(lines: journal.lines, speed: speed)
        let session = ConsoleSession(feed: feed, facts: journal.facts, projection: nil,
                                     options: console.sessionOptions(title: journal.title, record: nil,
                                                                     recordingDirectory: FileManager.default.currentDirectoryPath),
                                     mode: .replay)
        _ = try session.run()
        for problem in session.problems { FileHandle.standardError.write(Data("fedtop: warning: \(problem)\n".utf8)) }
        if let warning { FileHandle.standardError.write(Data(warning.utf8)) }
    }

    private func printLines(_ lines: [JournalLine]) {
        var printer: HeadlessPrinter?
        for line in lines {
            guard let e = line.event else { continue }
            if case .runStarted(let d) = e.kind {
                printer = HeadlessPrinter(rounds: d.rounds, json: false, budget: d.epsilonBudget, seeded: !d.secureNoise,
                                          hospitals: d.hospitals.count)
            }
            printer?.handle(e)
        }
    }
}
