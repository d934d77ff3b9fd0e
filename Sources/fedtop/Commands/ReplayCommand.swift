import ArgumentParser
import Console
import Federation
import Foundation

/// `fedtop replay FILE`: a recording without compute. A journal (`*.journal.jsonl`) is re-rendered
/// in the live console (space pauses, `s` steps, `+`/`-` change the speed, `n` jumps to the next
/// marker); a `.cast` plays back as recorded. Without a terminal (or with `--headless`) a journal
/// prints the same lines as a headless run.
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

    func run() throws {
        if file.hasSuffix(".cast") {
            let cast: CastPlayer.Cast
            do { cast = try CastPlayer.read(file) } catch { throw ValidationError("\(error)") }
            CastPlayer(cast: cast, speed: speed).play { FileHandle.standardOutput.write(Data($0.utf8)) }
            return
        }
        let journal: (facts: FederationFacts, title: String, lines: [JournalLine])
        do { journal = try EventJournal.read(file) } catch { throw ValidationError("\(error)") }
        if headless || !ConsoleOptions.hasTerminal {
            if !headless { FileHandle.standardError.write(Data("fedtop: no terminal: the journal's rounds as lines\n".utf8)) }
            return printLines(journal.lines)
        }
        let feed = ReplayFeed(lines: journal.lines, speed: speed)
        let session = ConsoleSession(feed: feed, facts: journal.facts, projection: nil,
                                     options: console.sessionOptions(title: journal.title, record: nil,
                                                                     recordingDirectory: FileManager.default.currentDirectoryPath),
                                     mode: .replay)
        _ = try session.run()
        for problem in session.problems { FileHandle.standardError.write(Data("fedtop: warning: \(problem)\n".utf8)) }
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
