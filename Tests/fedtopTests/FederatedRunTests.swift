import Federation
import Foundation
import Privacy
import Testing
@testable import fedtop

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
            let ledger = try PrivacyLedger(path: "\(dir)/ledgers/hospital-\(h).ledger", budget: nil,
                                           seal: try CommandRunner.seal(run: dir, party: "hospital-\(h)"))
            #expect(ledger.spentEpsilon > 0 && ledger.spentEpsilon <= 4)
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/model.safetensors"))
    }

    @Test("--adversarial: the same ε as clean training (seeded alike), a different model, run.json carries it; a bad spec exits 2")
    func adversarialTraining() throws {
        var spent: [String: String] = [:]
        for adversarial in [nil, "pgd:0.3:3"] {
            let dir = Self.scratch()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let r = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--rounds", "2", "--epsilon", "4", "--noise-seed", "3",
                                           "--out", dir] + (adversarial.map { ["--adversarial", $0, "--adversarial-ratio", "1"] } ?? []))
            #expect(r.status == 0, "\(r.stderr)")
            let lines = roundLines(r.stdout)
            #expect(lines.count == 2)
            // `ε(seeded) [a b c] / 4.00` of each round line (the round's seconds after it differ).
            spent[adversarial ?? "clean"] = lines.map { line in
                let from = line.range(of: "ε(seeded)")!.lowerBound, to = line.range(of: "/ 4.00")!.upperBound
                return String(line[from..<to])
            }.joined(separator: "|")
            spent[(adversarial ?? "clean") + " loss"] = lines.map { String(value(after: "loss", in: $0) ?? .nan) }.joined(separator: "|")
            let runJSON = try String(contentsOfFile: dir + "/run.json", encoding: .utf8)
            #expect(runJSON.contains("pgd:0.3:3") == (adversarial != nil))
        }
        #expect(spent["clean"] == spent["pgd:0.3:3"], "ε differs: \(spent)")
        #expect(spent["clean loss"] != spent["pgd:0.3:3 loss"], "the adversarial run trained the same model: \(spent)")
        for bad in [["--adversarial", "pgd:0.1"], ["--adversarial", "fgsm:20"], ["--adversarial-ratio", "0.5"]] {
            let r = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--rounds", "1"] + bad)
            #expect(r.status == 2 && r.stderr.contains("--adversarial"), "\(bad): \(r.status) \(r.stderr)")
        }
    }

    @Test("digits (MLP) and lesions (CNN) on their defaults: every round completes and the evaluation loss falls",
          arguments: [("digits", 6), ("lesions:2000", 8)])
    func builtinDatasets(dataset: String, rounds: Int) async throws {
        let r = try await CommandRunner.runOffPool(["run", "--headless", "--dataset", dataset, "--rounds", String(rounds),
                                       "--noise-seed", "3", "--out", Self.scratch()])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = roundLines(r.stdout)
        #expect(lines.count == rounds)
        let evalLosses = lines.compactMap { line -> Double? in
            let words = line.split(separator: " ")
            return words.firstIndex(of: "eval").flatMap { Double(words[$0 + 2]) }
        }
        #expect(evalLosses.count == rounds)
        #expect(evalLosses.last! < 0.8 * evalLosses.first!, "\(evalLosses)")
    }

    @Test("--central-holdout evaluates the global model on records no hospital holds, every round")
    func centralHoldout() throws {
        let dir = Self.scratch()
        let r = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--rounds", "3", "--central-holdout", "0.2",
                                       "--noise-seed", "3", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("central hold-out of 114 records"))
        // 569 − 114 records remain for the hospitals.
        #expect(r.stdout.contains("(455 records)"))
        let lines = roundLines(r.stdout)
        #expect(lines.count == 3 && lines.allSatisfy { $0.contains("central accuracy 0.") })
        let rows = try String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        let header = rows[0].split(separator: ","), last = rows[3].split(separator: ",", omittingEmptySubsequences: false)
        let column = header.firstIndex(of: "central_accuracy")
        #expect(column != nil && Double(last[column!]) != nil)
        let bad = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--central-holdout", "0.9"])
        #expect(bad.status == 2 && bad.stderr.contains("central-holdout"), "\(bad.stderr)")
    }

    @Test("--feature-clip clamps every hospital's standardised features, and only the extreme ones")
    func featureClip() throws {
        func layout(_ arguments: [String]) throws -> FederationLayout {
            try FederationLayout(plan: try FederationOptions.parse(["--dataset", "digits", "--hospitals", "3"] + arguments).resolved(),
                               remoteFacts: nil)
        }
        let plain = try layout([]), clamped = try layout(["--feature-clip", "4"])
        var beyond = 0
        for (p, c) in zip(plain.shares, clamped.shares) {
            for (a, b) in [(p.train, c.train), (p.test, c.test)] {
                #expect(a.labels == b.labels)
                let x = a.features.scalars, y = b.features.scalars
                #expect(y.allSatisfy { abs($0) <= 4 })
                for (u, v) in zip(x, y) { if abs(u) <= 4 { #expect(u == v) } else { beyond += 1; #expect(v == (u > 0 ? 4 : -4)) } }
            }
        }
        #expect(beyond > 0)  // digits has pixels lit in a handful of one hospital's records
        let bad = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--feature-clip", "-1"])
        #expect(bad.status == 2 && bad.stderr.contains("feature-clip"), "\(bad.stderr)")
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
        let r = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--hospitals", "10", "--rounds", "3",
                                       "--dp", "client", "--sample-rate", "0.5", "--quorum", "1", "--epsilon", "8",
                                       "--noise-seed", "2", "--out", dir])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("dp(fedavg)"))
        let ledger = try PrivacyLedger(path: dir + "/ledgers/federation.ledger", budget: nil,
                                       seal: try CommandRunner.seal(run: dir, party: "federation"))
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
                      (["--strategy", "fedmagic"], "fedmagic"),
                      (["--secure-aggregation", "--strategy", "median"], "secure aggregation"),
                      (["--secure-aggregation", "--secagg-bits", "40"], "bits"),
                      (["--secagg-range", "2"], "--secure-aggregation"),
                      (["--secure-aggregation", "--hospitals", "1"], "at least 2 hospitals")])
    func badUsage(extra: [String], named: String) throws {
        let r = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--rounds", "1", "--out", Self.scratch()] + extra)
        #expect(r.status == 2, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains(named), "\(r.stderr)")
    }

    @Test("the errors a new user meets are one line each, naming what was wrong (issue 18, item 8)")
    func oneLineErrors() throws {
        let scratch = Self.scratch()
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let file = scratch + "/a-file"
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        let cases: [([String], String)] = [
            (["--out", file + "/run"], "--out \(file)/run: cannot create the run directory: \(file): exists and is not a directory"),
            (["--out", "/proc/fedtop-x"], "cannot create the run directory: /proc/fedtop-x: No such file or directory"),
            (["--out", scratch + "/r1", "--epsilon", "-1"], "--epsilon must be positive, got -1.0"),
            (["--out", scratch + "/r2", "--learning-rate=-0.1"], "--learning-rate must be positive, got -0.1"),
            (["--out", scratch + "/r3", "--theme", "nope"], "theme 'nope': no such theme"),
        ]
        for (extra, message) in cases {
            let r = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--rounds", "1"] + extra)
            #expect(r.status == 2, "\(extra): \(r.stdout)\n\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message), "\(extra): \(r.stderr)")
            #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("Error Domain"))
        }
        let version = try CommandRunner.run(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("fedtop ") && version.stderr.isEmpty, "\(version.stdout)\(version.stderr)")
    }

    @Test("a secure-aggregation run finishes its rounds, with and without client-level DP, and says so in its files")
    func secureAggregation() async throws {
        for extra in [[String](), ["--dp", "client", "--epsilon", "8", "--hospitals", "10"]] {
            let dir = Self.scratch()
            let r = try await CommandRunner.runOffPool(["run", "--headless", "--dataset", "wdbc", "--rounds", "2", "--secure-aggregation", "--out", dir] + extra)
            #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
            #expect(r.stdout.contains("secure aggregation (16-bit"), "\(r.stdout)")
            #expect(r.stdout.contains("round 2/2"), "\(r.stdout)")
            let events = try String(contentsOfFile: dir + "/events.jsonl", encoding: .utf8)
            #expect(events.components(separatedBy: "\"secureAggregation\"").count - 1 >= 10)
            #expect(events.contains("\"stage\":\"done\""))
            if !extra.isEmpty { #expect(r.stdout.contains("federation ε")) }
        }
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
        process.environment = ProcessInfo.processInfo.environment.merging(["FEDTOP_KEYS": CommandRunner.testKeyStore]) { _, b in b }
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
        let ledger = try PrivacyLedger(path: ledgerPath, budget: nil, seal: try CommandRunner.seal(run: dir, party: "hospital-1"))
        #expect(ledger.spentEpsilon > 0, "the spend written before the update left must survive the kill")
        let metrics = (try? String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8)) ?? ""
        #expect(metrics.split(separator: "\n").count <= 1, "no round may have been aggregated")
    }
}

@Suite("fedtop run --resume and checkpoints")
struct ResumeTests {
    func epsilons(_ stdout: String) -> [Double] {
        stdout.split(separator: "\n").filter { $0.hasPrefix("round ") }.compactMap { line in
            guard let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]") else { return nil }
            return line[line.index(after: open)..<close].split(separator: " ").compactMap { Double($0) }.max()
        }
    }

    @Test("a resumed run continues after its last round with ε never lower, and the checkpoint is signed")
    func resume() throws {
        let dir = FederatedRunTests.scratch()
        let first = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--rounds", "2", "--epsilon", "4",
                                           "--out", dir])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/model.safetensors.sig"))
        let before = epsilons(first.stdout)
        let again = try CommandRunner.run(["run", "--headless", "--resume", dir, "--rounds", "4"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("resumed after round 2"))
        let rounds = again.stdout.split(separator: "\n").filter { $0.hasPrefix("round ") }
        #expect(rounds.first?.hasPrefix("round 3/4") == true && rounds.count == 2)
        let after = epsilons(again.stdout)
        #expect(after.first! >= before.last!)
        let audit = try String(contentsOfFile: dir + "/audit.jsonl", encoding: .utf8)
        #expect(audit.contains("\"action\":\"resume\""))
        // A larger budget needs an explicit, recorded reason.
        let silent = try CommandRunner.run(["run", "--headless", "--resume", dir, "--rounds", "5", "--epsilon", "6"])
        #expect(silent.status == 2 && silent.stderr.contains("--raise-budget"), "\(silent.stderr)")
        let raised = try CommandRunner.run(["run", "--headless", "--resume", dir, "--rounds", "5", "--epsilon", "6",
                                            "--raise-budget", "board approved 2026-11-21"])
        #expect(raised.status == 0, "\(raised.stderr)")
        let audited = try String(contentsOfFile: dir + "/audit.jsonl", encoding: .utf8)
        #expect(audited.contains("budget-changed") && audited.contains("board approved"))
        let ledger = try String(contentsOfFile: dir + "/ledgers/hospital-1.ledger", encoding: .utf8)
        #expect(ledger.contains("budget 6.0 1e-05 board approved"))
        // A resume that is refused after opening the ledgers (no σ fits a budget lowered below the spend) leaves every
        // ledger byte for byte as it was: the lowered budget is written only once the start has succeeded.
        let ledgers = try FileManager.default.contentsOfDirectory(atPath: dir + "/ledgers").sorted()
        let bytes = try ledgers.map { try Data(contentsOf: URL(fileURLWithPath: dir + "/ledgers/" + $0)) }
        let refused = try CommandRunner.run(["run", "--headless", "--resume", dir, "--rounds", "30", "--epsilon", "0.05"])
        #expect(refused.status == 2 && refused.stderr.contains("no noise multiplier"), "\(refused.stderr)")
        #expect(try ledgers.map { try Data(contentsOf: URL(fileURLWithPath: dir + "/ledgers/" + $0)) } == bytes)
        #expect(!(try String(contentsOfFile: dir + "/audit.jsonl", encoding: .utf8)).contains("\"to\":\"0.05\""))
        // Starting a new run over it is refused.
        let clash = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--rounds", "1", "--out", dir])
        #expect(clash.status == 2 && clash.stderr.contains("--resume"))
    }

    @Test("FedAdam resumed after round 2 continues exactly as the uninterrupted run (its moments are checkpointed)")
    func serverStateSurvivesResume() throws {
        let common = ["--dataset", "wdbc", "--hospitals", "3", "--strategy", "fedadam:0.05", "--dp", "off", "--seed", "7"]
        let straight = FederatedRunTests.scratch(), split = FederatedRunTests.scratch()
        let whole = try CommandRunner.run(["run", "--headless", "--rounds", "4", "--out", straight] + common)
        #expect(whole.status == 0, "\(whole.stderr)")
        let half = try CommandRunner.run(["run", "--headless", "--rounds", "2", "--out", split] + common)
        #expect(half.status == 0, "\(half.stderr)")
        let rest = try CommandRunner.run(["run", "--headless", "--resume", split, "--rounds", "4"])
        #expect(rest.status == 0, "\(rest.stderr)")
        func rows(_ dir: String) throws -> [String] {
            // round,selected,aggregated,train_loss,eval_loss,eval_accuracy,… without the timing columns.
            try String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8).split(separator: "\n").dropFirst()
                .map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(6).joined(separator: ",") }
        }
        let expected = try rows(straight), resumed = try rows(split)
        #expect(expected.count == 4 && resumed.count == 4)
        #expect(Array(resumed.suffix(2)) == Array(expected.suffix(2)))
    }

    /// A real crash while checkpoints are being written: the run is killed with SIGKILL at several
    /// moments (rounds take a few milliseconds and each checkpoint several fsyncs, so writes are in
    /// flight), and every time the run resumes from a verified checkpoint, never earlier than before.
    @Test("killed with SIGKILL mid-run four times: each resume verifies the checkpoint and goes on; ε never falls")
    func killDuringCheckpoints() async throws {
        let dir = FederatedRunTests.scratch()
        var resumedRound = 0
        var lastEpsilon = 0.0
        for attempt in 0..<4 {
            // Processes are started, waited for and killed on a Dispatch thread, never on Swift's cooperative pool.
            let run = try await onDispatchThread {
                try RunProcess(attempt == 0
                    ? ["run", "--headless", "--dataset", "wdbc", "--hospitals", "3", "--rounds", "100000", "--epsilon", "1000",
                       "--out", dir]
                    : ["run", "--headless", "--resume", dir])
            }
            // Wait for the event that matters, never a fixed time: a round completed in this process (so run.json
            // and a checkpoint are on disk), then a varying moment later, mid-run, the kill.
            let (resumedSeen, roundSeen) = try await onDispatchThread { () -> (Bool, Bool) in
                var next = 1
                if attempt > 0 {
                    guard run.wait(for: "resumed after round ", seconds: 120) else { return (false, false) }
                    let line = run.output.split(separator: "\n").first { $0.contains("resumed after round ") }
                    next = (line.flatMap { Int($0.split(separator: " ").last { Int($0) != nil } ?? "") } ?? 0) + 1
                }
                let seen = run.wait(for: "round \(next)/", seconds: 120)
                Thread.sleep(forTimeInterval: 0.05 + 0.13 * Double(attempt))
                kill(run.process.processIdentifier, SIGKILL)
                run.process.waitUntilExit()
                return (true, seen)
            }
            #expect(resumedSeen && roundSeen, "attempt \(attempt): \(run.output.suffix(400))")
            #expect(run.process.terminationReason == .uncaughtSignal)
            let text = run.output
            if attempt > 0 {
                let resumed = text.split(separator: "\n").first { $0.contains("resumed after round ") }
                let round = resumed.flatMap { Int($0.split(separator: " ").last { Int($0) != nil } ?? "") }
                #expect(round != nil, "attempt \(attempt) did not resume: \(text.prefix(400))")
                #expect((round ?? -1) >= resumedRound)
                resumedRound = round ?? resumedRound
            }
            if let e = epsilons(text).last {
                #expect(e >= lastEpsilon)
                lastEpsilon = e
            }
        }
        // The last checkpoint verifies and the run completes one more round from it.
        let probe = try await CommandRunner.runOffPool(["run", "--headless", "--resume", dir, "--rounds", "1"])
        let completed = probe.stderr.split(separator: " ").compactMap { Int($0) }.first
        #expect(probe.status == 2 && completed != nil, "\(probe.stderr)")
        let finish = try await CommandRunner.runOffPool(["run", "--headless", "--resume", dir, "--rounds", String((completed ?? 0) + 1)])
        #expect(finish.status == 0, "\(finish.stderr)")
        #expect(finish.stdout.contains("resumed after round \(completed ?? -1)"))
        #expect(roundLinesCount(finish.stdout) == 1)
    }

    func roundLinesCount(_ stdout: String) -> Int { stdout.split(separator: "\n").filter { $0.hasPrefix("round ") }.count }

    @Test("a tampered or truncated checkpoint is refused on resume with a message naming the file")
    func tampered() throws {
        for damage in ["flip", "truncate"] {
            let dir = FederatedRunTests.scratch()
            let first = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--rounds", "1", "--dp", "off", "--out", dir])
            #expect(first.status == 0, "\(first.stderr)")
            let path = dir + "/model.safetensors"
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            if damage == "flip" { bytes[bytes.count - 5] ^= 0x40 } else { bytes.removeLast(100) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let again = try CommandRunner.run(["run", "--headless", "--resume", dir, "--rounds", "2"])
            #expect(again.status == 1, "\(damage): \(again.stdout) \(again.stderr)")
            #expect(again.stderr.contains("model.safetensors"), "\(again.stderr)")
            #expect(!again.stdout.contains("round 2/2"))
        }
    }

    @Test("encryption asked for without FEDTOP_CHECKPOINT_KEY is a hard error, and nothing is written in plaintext")
    func encryptionNeedsKey() throws {
        let dir = FederatedRunTests.scratch()
        let r = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--rounds", "1", "--encrypt-checkpoints", "--out", dir],
                                      environment: ["FEDTOP_CHECKPOINT_KEY": ""])
        #expect(r.status != 0)
        #expect(r.stderr.contains("FEDTOP_CHECKPOINT_KEY"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/model.safetensors"))
        let key = String(repeating: "ab", count: 32)
        let ok = try CommandRunner.run(["run", "--headless", "--dataset", "wdbc", "--rounds", "1", "--encrypt-checkpoints",
                                        "--out", dir + "-enc"], environment: ["FEDTOP_CHECKPOINT_KEY": key])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "-enc/model.safetensors.enc"))
        #expect(!FileManager.default.fileExists(atPath: dir + "-enc/model.safetensors"))
    }

    @Test("a run file gives the options, the command line overrides it, and a bad key is named")
    func runFile() throws {
        let dir = FederatedRunTests.scratch()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = dir + "/run.toml"
        try "dataset = \"wdbc\"\nrounds = 5\ndp = \"off\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let r = try CommandRunner.run(["run", "--headless", "--config", file, "--rounds", "2", "--out", dir + "/run"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("round 2/2") && !r.stdout.contains("round 3/"))
        try "dataset = \"wdbc\"\nroundz = 5\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try CommandRunner.run(["run", "--headless", "--config", file])
        #expect(bad.status == 2 && bad.stderr.contains("roundz") && bad.stderr.contains("rounds"), "\(bad.stderr)")
    }
}
