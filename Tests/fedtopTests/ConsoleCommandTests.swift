import Foundation
import Testing

@Suite("fedtop's console, end to end in tmux", .serialized, .enabled(if: TmuxSession.available))
struct ConsoleEndToEndTests {
    static func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-console-\(UUID().uuidString)").path
    }

    /// The σ shown in the privacy panel.
    static func sigma(_ screen: String) -> String? {
        guard let r = screen.range(of: #"σ \d+\.\d\d  C"#, options: .regularExpression) else { return nil }
        return String(screen[r].dropFirst(2).dropLast(3))
    }

    @Test("waits for Round 2/, space shows PAUSED, + then enter changes σ, q and y end the process and restore the terminal")
    func liveSession() throws {
        let dir = Self.scratch()
        let fedtop = CommandRunner.productsDirectory.appendingPathComponent("fedtop").path
        // A straggler makes each round last about 0.4 s, so `Round 2/` is on screen long enough to see.
        let tmux = try TmuxSession(command: "\(fedtop) run --dataset wdbc --hospitals 3 --rounds 2000 --epsilon 50 --fps 20 "
                                   + "--simulate hospital-1:delay=0.4 --out \(dir); echo FEDTOP-EXIT=$?; sleep 60")
        try tmux.wait(for: "Round 2/")
        #expect(try tmux.format("alternate_on") == "1", "the console uses the alternate screen")
        try tmux.send("Space")
        let paused = try tmux.wait(for: "PAUSED")
        let before = try #require(Self.sigma(paused), "σ on screen:\n\(paused)")
        try tmux.send("+")
        try tmux.wait(for: "pending σ")
        try tmux.send("Enter")
        let expected = String(format: "%.2f", Double(before)! * 1.1)
        let after = try tmux.wait(for: "σ \(expected)") { Self.sigma($0) == expected && $0.contains("applied: σ") }
        #expect(after.contains("PAUSED"))
        try tmux.send("q")
        try tmux.wait(for: "Quit?")
        try tmux.send("y")
        let end = try tmux.wait(for: "FEDTOP-EXIT=0", timeout: 30)
        #expect(end.contains("fedtop: stopped"))
        #expect(try tmux.format("alternate_on") == "0", "the terminal left the alternate screen")
        #expect(try tmux.format("cursor_flag") == "1", "the cursor is visible again")
        #expect(FileManager.default.fileExists(atPath: dir + "/model.safetensors"))
        let audit = try String(contentsOfFile: dir + "/audit.jsonl", encoding: .utf8)
        #expect(audit.contains("setNoiseMultiplier") || audit.contains("noise"))
    }

    @Test("a second Ctrl-C leaves at once, without waiting for a 30-second round, and says what is already on disk")
    func secondInterrupt() throws {
        let dir = Self.scratch()
        let fedtop = CommandRunner.productsDirectory.appendingPathComponent("fedtop").path
        let tmux = try TmuxSession(command: "\(fedtop) run --dataset wdbc --rounds 20 --epsilon 50 "
                                   + "--simulate hospital-1:delay=30 --out \(dir); echo FEDTOP-EXIT=$?; sleep 60", width: 120, height: 36)
        try tmux.wait(for: "TRAINING")
        try tmux.send("C-c")
        try tmux.wait(for: "again to leave now")
        let started = Date()
        try tmux.send("C-c")
        let end = try tmux.wait(for: "FEDTOP-EXIT=", timeout: 20)
        #expect(Date().timeIntervalSince(started) < 15, "it waited for the round")
        #expect(end.contains("FEDTOP-EXIT=130"), "\(end)")
        #expect(end.contains("left without waiting for round 1") && end.contains("ledgers"), "\(end)")
        #expect(try tmux.format("alternate_on") == "0")
        #expect(FileManager.default.fileExists(atPath: dir + "/ledgers/hospital-1.ledger"), "the ledger is on disk")
    }

    @Test("SIGTERM stops the engine after its round and restores the terminal")
    func sigterm() throws {
        let dir = Self.scratch()
        let fedtop = CommandRunner.productsDirectory.appendingPathComponent("fedtop").path
        let tmux = try TmuxSession(command: "\(fedtop) run --dataset wdbc --rounds 2000 --epsilon 50 "
                                   + "--simulate hospital-1:delay=0.4 --out \(dir); "
                                   + "echo FEDTOP-EXIT=$?; sleep 60", width: 100, height: 30)
        try tmux.wait(for: "Round 2/")
        let shell = try tmux.format("pane_pid")
        let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
        let pid = try #require(children.split(separator: " ").compactMap { Int32($0) }.first, "fedtop's pid")
        #expect(kill(pid, SIGTERM) == 0)
        let end = try tmux.wait(for: "FEDTOP-EXIT=", timeout: 60)
        #expect(end.contains("FEDTOP-EXIT=0"), "\(end)")
        #expect(end.contains("fedtop: stopped"))
        #expect(try tmux.format("alternate_on") == "0")
    }

    @Test("closing the terminal (the tmux session killed) stops the run after its round; nothing keeps running")
    func hangup() throws {
        let dir = Self.scratch()
        let fedtop = CommandRunner.productsDirectory.appendingPathComponent("fedtop").path
        var tmux: TmuxSession? = try TmuxSession(command: "\(fedtop) run --dataset wdbc --rounds 2000 --epsilon 50 "
                                                 + "--simulate hospital-1:delay=0.4 --out \(dir)", width: 100, height: 30)
        try tmux!.wait(for: "Round 2/")
        let shell = try tmux!.format("pane_pid")
        let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
        let pid = try #require(children.split(separator: " ").compactMap { Int32($0) }.first ?? Int32(shell))
        tmux = nil  // kills the session and its server, as closing the terminal would
        let deadline = Date().addingTimeInterval(60)
        while kill(pid, 0) == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        #expect(kill(pid, 0) != 0, "fedtop is still running after its terminal closed")
        let rounds = try String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8).split(separator: "\n").count - 1
        #expect(rounds < 100)
    }
}

@Suite("fedtop run: the console's options and its fallback without a terminal")
struct ConsoleOptionTests {
    @Test("without a terminal, fedtop run prints line output and says why on stderr")
    func fallback() throws {
        let dir = ConsoleEndToEndTests.scratch()
        let r = try CommandRunner.run(["run", "--dataset", "wdbc", "--rounds", "2", "--epsilon", "8", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("no terminal"))
        #expect(r.stdout.contains("round 2/2"))
    }

    @Test("bad console options exit 2 naming the option",
          arguments: [(["--fps", "0"], "--fps"), (["--fps", "100"], "--fps"), (["--theme-dir", "/nonexistent/themes"], "--theme-dir"),
                      (["--record", "/nonexistent/dir/a.cast"], "--record"), (["--record", "x.txt"], ".cast")])
    func badOptions(arguments: [String], name: String) throws {
        let r = try CommandRunner.run(["run", "--dataset", "wdbc", "--rounds", "1"] + arguments)
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains(name), "\(r.stderr)")
    }
}

@Suite("fedtop replay")
struct ReplayCommandTests {
    /// Records a short run in tmux (the console with --record), for the replay tests.
    static func record() throws -> String {
        let dir = ConsoleEndToEndTests.scratch()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fedtop = CommandRunner.productsDirectory.appendingPathComponent("fedtop").path
        let tmux = try TmuxSession(command: "\(fedtop) run --dataset wdbc --rounds 6 --epsilon 8 --out \(dir)/run "
                                   + "--record \(dir)/demo.cast; echo FEDTOP-EXIT=$?; sleep 60", width: 100, height: 30)
        try tmux.wait(for: "FINISHED")
        try tmux.send("m")
        try tmux.send("q", "y")
        try tmux.wait(for: "FEDTOP-EXIT=0", timeout: 30)
        return dir
    }

    @Test("a recording made by fedtop run --record replays: the journal as lines without a terminal, the .cast in one",
          .enabled(if: TmuxSession.available))
    func replay() throws {
        let dir = try Self.record()
        let lines = try CommandRunner.run(["replay", "\(dir)/demo.journal.jsonl"])
        #expect(lines.status == 0, "\(lines.stderr)")
        #expect(lines.stdout.contains("round 6/6") && lines.stdout.contains("fedtop: finished"))
        let fedtop = CommandRunner.productsDirectory.appendingPathComponent("fedtop").path
        let tmux = try TmuxSession(command: "\(fedtop) replay --speed 1000 \(dir)/demo.cast; echo FEDTOP-EXIT=$?; sleep 60",
                                   width: 100, height: 30)
        try tmux.wait(for: "end of recording")
        #expect(try tmux.screen().contains("Round 6/6"))
        try tmux.send("q")
        try tmux.wait(for: "FEDTOP-EXIT=0")
        let text = try String(contentsOfFile: "\(dir)/demo.cast", encoding: .utf8)
        #expect(text.contains("\"m\""), "the m key added a marker")
    }

    @Test("a .cast in tmux: space freezes it, q quits at once and the shell's screen comes back with nothing of the recording",
          .enabled(if: TmuxSession.available), arguments: ["q", "Escape", "C-c"])
    func castInTerminal(quitKey: String) throws {
        let cast = CommandRunner.repositoryRoot.appendingPathComponent("Recordings/demo.cast").path
        let fedtop = CommandRunner.productsDirectory.appendingPathComponent("fedtop").path
        let tmux = try TmuxSession(command: "clear; echo BEFORE; \(fedtop) replay \(cast); echo FEDTOP-EXIT=$?; sleep 60",
                                   width: 120, height: 36)
        try tmux.wait(for: "Round 2/")
        #expect(try tmux.format("alternate_on") == "1", "the replay plays in the alternate screen")
        try tmux.send("Space")
        Thread.sleep(forTimeInterval: 0.5)
        let paused = try tmux.screen()
        Thread.sleep(forTimeInterval: 2)
        #expect(try tmux.screen() == paused, "paused: the screen does not change")
        try tmux.send(quitKey)
        let end = try tmux.wait(for: "FEDTOP-EXIT=", timeout: 10)
        #expect(end.contains("FEDTOP-EXIT=0"), "\(end)")
        #expect(end.contains("BEFORE"), "the shell's screen is back")
        #expect(!end.contains("Round") && !end.contains("Quit?") && !end.contains("│"), "nothing of the recording: \(end)")
        #expect(try tmux.format("alternate_on") == "0")
        #expect(try tmux.format("cursor_flag") == "1", "the cursor is visible again")
    }

    @Test("a .cast without a terminal or with --headless explains itself in one line, names the journal beside it, and exits 2")
    func castWithoutTerminal() throws {
        let recordings = CommandRunner.repositoryRoot.appendingPathComponent("Recordings").path
        for arguments in [["\(recordings)/demo.cast"], ["--headless", "\(recordings)/demo.cast"]] {
            let r = try CommandRunner.run(["replay"] + arguments)
            #expect(r.status == 2 && r.stdout.isEmpty && !r.stderr.contains("\u{1b}"), "\(r.stdout)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stderr.contains("demo.cast is a terminal recording") && r.stderr.contains("\(recordings)/demo.journal.jsonl --headless"))
        }
        let lone = try writeRunFile("lone.cast", "{\"version\":2,\"width\":80,\"height\":24}\n[0.5,\"o\",\"x\"]\n")
        let r = try CommandRunner.run(["replay", "--headless", lone])
        #expect(r.status == 2 && r.stderr.contains("there is no") && r.stderr.contains("lone.journal.jsonl"), "\(r.stderr)")
    }

    @Test("a file that is neither a journal nor a cast is one line naming it and what was expected, exit 2",
          arguments: ["a,b,c\n1,2,3\n", "", "[1, 2]\n"])
    func notARecording(contents: String) throws {
        let path = try writeRunFile("bad.csv", contents)
        let r = try CommandRunner.run(["replay", path])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("fedtop: ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.hasSuffix("\(path):1: not a fedtop journal or an asciicast recording (expected FILE.journal.jsonl or FILE.cast)\n"))
    }

    @Test("a .cast with a bad line is refused naming the file and line")
    func badCastLine() throws {
        let path = try writeRunFile("bad.cast", "{\"version\":2,\"width\":80,\"height\":24}\n[0.5,\"o\",\"x\"]\n[0.6,\"o\"]\n")
        let r = try CommandRunner.run(["replay", "--headless", path])
        #expect(r.status == 2 && r.stderr.hasPrefix("fedtop: ") && r.stderr.hasSuffix("\(path):3: expected [seconds, code, data]\n"), "\(r.stderr)")
    }

    @Test("--headless on a journal cut mid-line prints its complete rounds after one warning naming the file and line")
    func tornJournal() throws {
        let shipped = CommandRunner.repositoryRoot.appendingPathComponent("Recordings/demo.journal.jsonl")
        let text = try Data(contentsOf: shipped)
        let lines = text.split(separator: UInt8(ascii: "\n"))
        let path = try temporaryDirectory().appendingPathComponent("torn.journal.jsonl").path
        // Everything but the last 40 bytes: the last line is cut mid-write.
        try text.dropLast(40).write(to: URL(fileURLWithPath: path))
        let r = try CommandRunner.run(["replay", "--headless", path])
        #expect(r.status == 0, "\(r.stderr)")
        let warning = try #require(r.stderr.split(separator: "\n").first { $0.contains("warning") })
        #expect(warning.hasPrefix("fedtop: warning: \(path):\(lines.count): the last line is incomplete (cut off mid-write); replaying the "))
        #expect(r.stdout.contains("round 29/30"), "the rounds before the cut are printed")
        // A cut in the middle is an error naming the line.
        var middle = lines.map { Data($0) }
        middle[5] = middle[5].prefix(30)
        try Data(middle.joined(separator: [UInt8(ascii: "\n")]) + [UInt8(ascii: "\n")]).write(to: URL(fileURLWithPath: path))
        let bad = try CommandRunner.run(["replay", "--headless", path])
        #expect(bad.status == 2 && bad.stderr.hasPrefix("fedtop: ") && bad.stderr.hasSuffix("\(path):6: not a journal line (not JSON)\n"), "\(bad.stderr)")
    }

    @Test("the shipped Recordings/demo.journal.jsonl decodes and replays to its end; demo.cast is asciicast v2")
    func shippedDemo() throws {
        let recordings = CommandRunner.repositoryRoot.appendingPathComponent("Recordings")
        let lines = try CommandRunner.run(["replay", recordings.appendingPathComponent("demo.journal.jsonl").path])
        #expect(lines.status == 0, "\(lines.stderr)")
        #expect(lines.stdout.contains("round 30/30") && lines.stdout.contains("fedtop: finished"))
        let cast = try String(contentsOf: recordings.appendingPathComponent("demo.cast"), encoding: .utf8)
        let header = try #require(cast.split(separator: "\n").first)
        let object = try JSONSerialization.jsonObject(with: Data(header.utf8)) as? [String: Any]
        #expect(object?["version"] as? Int == 2 && object?["width"] as? Int != nil && object?["height"] as? Int != nil)
    }

    @Test("bad replays exit 2 naming the file", arguments: [["/nonexistent.cast"], ["--speed", "0", "x.cast"]])
    func bad(arguments: [String]) throws {
        let r = try CommandRunner.run(["replay"] + arguments)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains(arguments.last!) || r.stderr.contains("--speed"))
    }

    @Test("a file that is not a journal is refused with its name and line")
    func notAJournal() throws {
        let path = ConsoleEndToEndTests.scratch() + ".journal.jsonl"
        try "{\"something\": 1}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try CommandRunner.run(["replay", path])
        #expect(r.status == 2 && r.stderr.contains(path), "\(r.stderr)")
    }
}
