import Foundation
import Privacy
import Testing

@Suite("fedtop run --headless (a federation)")
struct FederatedRunTests {
    static func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-fed-\(UUID().uuidString)").path
    }

    func roundLines(_ stdout: String) -> [Substring] { stdout.split(separator: "\n").filter { $0.hasPrefix("round ") } }

    func value(after word: String, in line: Substring) -> Double? {
        let words = line.split(separator: " ")
        return words.firstIndex { $0 == word }.flatMap { Double(words[$0 + 1]) }
    }

    @Test("WDBC across 3 hospitals: one line per round, the loss falls, the run directory holds its files")
    func headlessRun() throws {
        let dir = Self.scratch()
        let r = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--rounds", "4", "--learning-rate", "0.3",
                                       "--epsilon", "4", "--noise-seed", "3", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = roundLines(r.stdout)
        #expect(lines.count == 4)
        let losses = lines.compactMap { value(after: "loss", in: $0) }
        #expect(losses.count == 4 && losses.last! < losses.first!)
        #expect(lines.allSatisfy { $0.contains("ε(seeded) [") && $0.contains("/ 4.00") })
        let metrics = try String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 5 && metrics[0].hasPrefix("round,"))
        let events = try String(contentsOfFile: dir + "/events.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(events.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
        let audit = try String(contentsOfFile: dir + "/audit.jsonl", encoding: .utf8)
        #expect(audit.contains("runStarted") && audit.contains("runFinished"))
        #expect(!audit.contains("updateReceived") && !audit.contains("progress"))
        for h in 1...3 {
            let ledger = try PrivacyLedger(path: "\(dir)/ledgers/hospital-\(h).ledger", budget: (4, 1e-5))
            #expect(ledger.spentEpsilon > 0 && ledger.spentEpsilon <= 4)
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/model.safetensors"))
    }

    @Test("a run that reaches the privacy budget stops and exits 3")
    func budgetExit() throws {
        let r = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--rounds", "200", "--noise", "1.0",
                                       "--epsilon", "0.5", "--noise-seed", "1", "--out", Self.scratch()])
        #expect(r.status == 3, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("privacy budget exhausted") && r.stdout.contains("stopped at the privacy budget"))
        #expect(roundLines(r.stdout).count < 200)
    }

    @Test("--json prints every event as a JSON line")
    func jsonEvents() throws {
        let r = try CommandRunner.run(["run", "--headless", "--json", "--dataset", "wdbc", "--rounds", "2", "--dp", "off",
                                       "--out", Self.scratch()])
        #expect(r.status == 0, "\(r.stderr)")
        let json = r.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(json.count > 10)
        #expect(json.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
        #expect(json.contains { $0.contains("roundCompleted") })
    }

    @Test("client-level DP: DP-FedAvg wraps the strategy and the federation's ledger pays per round")
    func clientLevel() throws {
        let dir = Self.scratch()
        let r = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--hospitals", "6", "--rounds", "3",
                                       "--dp", "client", "--sample-rate", "0.5", "--quorum", "1", "--epsilon", "8",
                                       "--noise-seed", "2", "--out", dir])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("dp(fedavg)"))
        let ledger = try PrivacyLedger(path: dir + "/ledgers/federation.ledger", budget: (8, 1e-5))
        let completed = roundLines(r.stdout).filter { !$0.contains("FAILED") }.count
        #expect(completed >= 1)
        #expect(ledger.spentEpsilon > 0 && ledger.spentEpsilon <= 8)
    }

    @Test("bad federations exit 2 naming the problem",
          arguments: [(["--dp", "client", "--strategy", "median"], "client-level DP"),
                      (["--simulate", "hospital-9:delay=1"], "hospital-9"),
                      (["--simulate", "hospital-1:speed=0"], "speed"),
                      (["--per-round", "5"], "--per-round"),
                      (["--dp", "off", "--epsilon", "1"], "--dp off"),
                      (["--strategy", "fedmagic"], "fedmagic")])
    func badUsage(extra: [String], named: String) throws {
        let r = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--rounds", "1", "--out", Self.scratch()] + extra)
        #expect(r.status == 2, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains(named), "\(r.stderr)")
    }

    /// The write-ahead promise under a real crash: the hospital has written and fsynced its spend,
    /// its update is still on the way (a 60 s simulated link), and the process is killed with SIGKILL.
    @Test("killed between spend and send: the reopened ledger shows the spend, and no round was aggregated")
    func killBetweenSpendAndSend() throws {
        let dir = Self.scratch()
        let process = Process()
        process.executableURL = CommandRunner.productsDirectory.appendingPathComponent("fedtop")
        process.arguments = ["run", "--headless", "--dataset", "wdbc", "--hospitals", "2", "--rounds", "2", "--epsilon", "4",
                             "--simulate", "hospital-1:delay=60", "--simulate", "hospital-2:delay=60", "--out", dir]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let ledgerPath = dir + "/ledgers/hospital-1.ledger"
        var waited = 0.0
        while waited < 120 {
            if let text = try? String(contentsOfFile: ledgerPath, encoding: .utf8), text.contains("spend ") { break }
            Thread.sleep(forTimeInterval: 0.1)
            waited += 0.1
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let ledger = try PrivacyLedger(path: ledgerPath, budget: (4, 1e-5))
        #expect(ledger.spentEpsilon > 0, "the spend written before the update left must survive the kill")
        let metrics = (try? String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8)) ?? ""
        #expect(metrics.split(separator: "\n").count <= 1, "no round may have been aggregated")
    }
}
