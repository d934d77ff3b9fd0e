import Console
import Federation
import Foundation
import Testing

@Suite("Recordings: asciicast v2 output, the event journal, replay")
struct RecordingTests {
    func scratch(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-rec-\(UUID().uuidString)-\(name)").path
    }

    /// A terminal emulator just big enough for the recorder's output: cursor moves, clear, SGR, text.
    struct MiniTerminal {
        var rows: [[Unicode.Scalar]]
        var x = 0, y = 0

        init(width: Int, height: Int) { rows = Array(repeating: Array(repeating: " ", count: width), count: height) }

        mutating func feed(_ text: String) {
            var scalars = Array(text.unicodeScalars)[...]
            while let c = scalars.popFirst() {
                if c == "\u{1b}", scalars.first == "[" {
                    scalars.removeFirst()
                    var params = ""
                    while let p = scalars.popFirst() {
                        if p.properties.isAlphabetic {
                            let n = params.split(separator: ";").map { Int($0) ?? 1 }
                            if p == "H" { y = (n.first ?? 1) - 1; x = (n.count > 1 ? n[1] : 1) - 1 }
                            if p == "J" { for r in rows.indices { rows[r] = rows[r].map { _ in " " } } }
                            break
                        }
                        params.unicodeScalars.append(p)
                    }
                } else if c == "\r" { x = 0 } else if c == "\n" { y += 1 } else if y < rows.count, x < rows[y].count {
                    rows[y][x] = c
                    x += 1
                }
            }
        }

        var text: String {
            rows.map { row in var s = String(String.UnicodeScalarView(row)); while s.last == " " { s.removeLast() }; return s }
                .joined(separator: "\n")
        }
    }

    @Test("the cast has an asciicast v2 header and [time, code, data] events; replaying its output redraws the screen")
    func castFormat() throws {
        let path = scratch("a.cast")
        let recorder = try AsciicastRecorder(path: path, width: 80, height: 24, title: "test run",
                                             encoder: AnsiEncoder(theme: .dark, depth: .xterm256))
        var view = ConsoleView(model: Scenario.model)
        var screen = Screen(width: 80, height: 24)
        Dashboard.render(view, on: &screen, context: RenderContext())
        recorder.frame(screen)
        recorder.marker("σ raised")
        view.controller.showHelp = true
        Dashboard.render(view, on: &screen, context: RenderContext())
        recorder.frame(screen)
        recorder.frame(screen)  // nothing changed: no event
        var wide = Screen(width: 100, height: 30)
        Dashboard.render(view, on: &wide, context: RenderContext())
        recorder.frame(wide)
        recorder.close()

        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let header = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(header["version"] as? Int == 2)
        #expect(header["width"] as? Int == 80 && header["height"] as? Int == 24)
        #expect((header["timestamp"] as? Int ?? 0) > 1_600_000_000)
        #expect(header["title"] as? String == "test run")
        let events = try lines.dropFirst().map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [Any]) }
        #expect(events.map { $0[1] as? String } == ["o", "m", "o", "r", "o"])
        let times = events.map { ($0[0] as? NSNumber)?.doubleValue ?? -1 }
        #expect(times.allSatisfy { $0 >= 0 } && times == times.sorted())
        #expect(events[1][2] as? String == "σ raised" && events[3][2] as? String == "100x30")

        // The output events, played into an 80×24 terminal, show the help overlay over the dashboard.
        var exact = MiniTerminal(width: 80, height: 24)
        var help = Screen(width: 80, height: 24)
        Dashboard.render(view, on: &help, context: RenderContext())
        for e in events.prefix(3) where e[1] as? String == "o" { exact.feed(e[2] as! String) }
        #expect(exact.text == help.text())
        let parsed = try CastPlayer.read(path)
        #expect(parsed.width == 80 && parsed.events.count == 5)
    }

    @Test("asciinema cat accepts the recording (run under `script` for the terminal it wants)", .enabled(if: Self.hasAsciinema))
    func asciinemaCat() throws {
        let path = scratch("b.cast")
        let recorder = try AsciicastRecorder(path: path, width: 80, height: 24, title: "cat", encoder: AnsiEncoder(theme: .dark, depth: .ansi16))
        var screen = Screen(width: 80, height: 24)
        Dashboard.render(ConsoleView(model: Scenario.model), on: &screen, context: RenderContext())
        recorder.frame(screen)
        recorder.marker("one")
        recorder.close()
        // asciinema 2.x's `cat` opens /dev/tty, which CI (no terminal) does not have: `script` gives it a
        // pseudo-terminal of its own, and passes through what it prints.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["script", "-qec", "asciinema cat '\(path)'", "/dev/null"]
        p.standardInput = FileHandle.nullDevice
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cat-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let text = try String(contentsOf: out, encoding: .utf8)
        #expect(text.contains("Round 4/30"))
    }

    /// Whether asciinema and util-linux's `script` (for its pseudo-terminal) are both installed.
    static var hasAsciinema: Bool {
        ["asciinema", "script"].allSatisfy { tool in
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
                FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
            }
        }
    }

    @Test("the journal holds the facts, events, forecasts and markers; a replay rebuilds the same model")
    func journalRoundTrip() throws {
        let path = scratch("c.journal.jsonl")
        let journal = try EventJournal(path: path, facts: Scenario.facts, title: "demo")
        for e in Scenario.events { journal.write(JournalLine(event: e)) }
        journal.write(JournalLine(forecast: PrivacyForecast(finalEpsilon: 2.95, budget: 3, roundsLeft: 26, limitingParty: "hospital-2"), time: 9))
        journal.write(JournalLine(marker: "here", time: 9))
        journal.close()
        let read = try EventJournal.read(path)
        #expect(read.facts == Scenario.facts && read.title == "demo")
        #expect(read.lines.compactMap(\.event) == Scenario.events)
        let feed = ReplayFeed(lines: read.lines, speed: 1000)
        var model = DashboardModel(facts: read.facts)
        Thread.sleep(forTimeInterval: 0.05)
        for e in feed.poll() { model.apply(e) }
        #expect(feed.isFinished)
        model.forecast = feed.recordedForecast
        #expect(model == Scenario.model)
    }

    @Test("a replay steps one event at a time while paused, and jumps to the next marker")
    func replayControls() {
        var lines = Scenario.events.map { JournalLine(event: $0) }
        lines.insert(JournalLine(marker: "mid", time: lines[20].at), at: 21)
        let feed = ReplayFeed(lines: lines, speed: 1)
        feed.control(.togglePause)
        _ = feed.poll()
        feed.control(.step)
        let first = feed.poll()
        #expect(!first.isEmpty && first.allSatisfy { $0.time <= lines[1].at + 1e-9 })
        feed.control(.nextMarker)
        let upTo = feed.poll()
        #expect(upTo.last?.time == lines[20].at)
        feed.control(.faster)
        #expect(feed.speed == 2 && feed.replayStatus?.contains("2.0x") == true)
    }

    @Test("a damaged journal or cast is refused naming the file and line")
    func damaged() throws {
        let path = scratch("d.journal.jsonl")
        try "{\"journal\":1,\"facts\":{\"hospitals\":[],\"privacy\":\"sample\",\"secureAggregation\":false}}\nnot json\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConsoleError.self) { try EventJournal.read(path) }
        do { _ = try EventJournal.read(path) } catch { #expect("\(error)".contains("\(path):2")) }
        let cast = scratch("e.cast")
        try "{\"version\":2,\"width\":80,\"height\":24}\n[1.0,\"o\",\"x\"]\n[0.5,\"o\",\"y\"]\n".write(toFile: cast, atomically: true, encoding: .utf8)
        do { _ = try CastPlayer.read(cast); Issue.record("accepted") } catch { #expect("\(error)".contains("\(cast):3")) }
    }

    /// A journal of the scenario's events, its text, and the offset where its last line starts.
    func journalText() throws -> (path: String, text: String, lastLineStart: Int) {
        let path = scratch("t.journal.jsonl")
        let journal = try EventJournal(path: path, facts: Scenario.facts, title: "torn")
        for e in Scenario.events { journal.write(JournalLine(event: e)) }
        journal.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let body = text.dropLast()
        return (path, text, body.utf8.distance(from: body.startIndex, to: body.lastIndex(of: "\n")!) + 1)
    }

    @Test("a journal whose last line was cut mid-write replays its complete events and says which line was cut")
    func tornLastLine() throws {
        let (path, text, start) = try journalText()
        let lineCount = text.split(separator: "\n").count
        try Data(text.utf8.prefix(start + 25)).write(to: URL(fileURLWithPath: path))
        let read = try EventJournal.read(path)
        #expect(read.lines.compactMap(\.event) == Array(Scenario.events.dropLast()))
        let warning = try #require(read.warning)
        #expect(warning.hasPrefix("\(path):\(lineCount): the last line is incomplete"), "\(warning)")
        #expect(warning.contains("replaying the \(Scenario.events.count - 1) complete events"))
        // Whole (with or without its newline), the journal reads with no warning.
        try Data(text.utf8.dropLast()).write(to: URL(fileURLWithPath: path))
        #expect(try EventJournal.read(path).warning == nil)
        #expect(try EventJournal.read(path).lines.count == Scenario.events.count)
    }

    @Test("a bad line that is not the last is still an error: file, line and what was wrong, on one line")
    func badMiddleLine() throws {
        let (path, text, _) = try journalText()
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[3] = String(lines[3].prefix(20))
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try EventJournal.read(path)
            Issue.record("a cut line in the middle was accepted")
        } catch {
            #expect("\(error)" == "recording: \(path):4: not a journal line (not JSON)")
        }
        // A whole last line that is not a journal line (it has its newline) is an error too.
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[lines.count - 2] = "{\"event\": 3}"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try EventJournal.read(path)
            Issue.record("a bad last line with its newline was accepted")
        } catch {
            #expect("\(error)".contains("\(path):\(lines.count - 1): not a journal line (expected"), "\(error)")
            #expect(!"\(error)".contains("\n") && !"\(error)".contains("codingPath"))
        }
    }
}
