import Foundation
import Privacy
import Testing

/// `fedtop hospital`'s own privacy, as its operator and an attacker would try it: the policy holds
/// whatever the console asks, budgets change only explicitly, and a refused start leaves nothing.
@Suite("fedtop hospital enforces its own policy and budget", .serialized)
struct HospitalPolicyCommandTests {
    /// `fedtop ARGS` waited for on a Dispatch thread, never on Swift's cooperative pool (its two threads serve the
    /// in-process gRPC suites).
    func fedtop(_ arguments: [String], directory: String? = nil) async throws -> CommandRunner.Output {
        try await onDispatchThread { try CommandRunner.run(arguments, directory: directory) }
    }

    /// A `fedtop hospital` process, started off the cooperative pool.
    func hospital(_ name: String, _ dir: String, shard: Int, _ extra: [String]) async throws -> HospitalProcess {
        try await onDispatchThread { try HospitalProcess(name: name, folder: dir, certs: nil, shard: shard, extra: extra) }
    }

    func ledgerBytes(_ dir: String, _ name: String) -> Data {
        (try? Data(contentsOf: URL(fileURLWithPath: dir + "/ledger-\(name)/\(name).ledger"))) ?? Data()
    }

    @Test("a console asking for no DP-SGD, or σ below the hospital's floor, is refused at attach naming the hospital and the rule; the ledger is byte-identical and nothing trained")
    func consoleRefusedAtAttach() async throws {
        let dir = scratchDirectory("policy-attach")
        let alice = try await hospital("alice", dir, shard: 1, ["--epsilon-budget", "1"])
        defer { alice.kill() }
        let before = ledgerBytes(dir, "alice")
        #expect(!before.isEmpty)
        let attach = ["--insecure", "--hospital", "grpc://alice@127.0.0.1:\(alice.port)", "--rounds", "2"]
        let noDP = try await fedtop(["run", "--headless", "--dp", "off", "--out", dir + "/run-off"] + attach)
        #expect(noDP.status == 2, "\(noDP.stdout)\n\(noDP.stderr)")
        #expect(noDP.stderr.contains("alice refuses this run: DP-SGD is required"), "\(noDP.stderr)")
        let weak = try await fedtop(["run", "--headless", "--noise", "0.3", "--epsilon", "1", "--out", dir + "/run-weak"] + attach)
        #expect(weak.status == 2, "\(weak.stdout)\n\(weak.stderr)")
        #expect(weak.stderr.contains("below the policy's floor 0.5"), "\(weak.stderr)")
        #expect(ledgerBytes(dir, "alice") == before)
        #expect(!alice.log.contains("trained"))
        #expect(alice.isRunning)
    }

    @Test("--epsilon-budget against an existing ledger: lower is recorded and told in Hello, higher is refused without --raise-budget REASON (nothing written), then recorded with it")
    func budgetChanges() async throws {
        let dir = scratchDirectory("policy-budget")
        var bob: HospitalProcess? = try await hospital("bob", dir, shard: 2, ["--epsilon-budget", "50"])
        bob?.kill()
        bob = try await hospital("bob", dir, shard: 2, ["--epsilon-budget", "1"])
        #expect(bob?.log.contains("of 1.0 spent") == true, "\(bob?.log ?? "")")
        #expect(bob?.log.contains("lowered at open") == true, "\(bob?.log ?? "")")
        bob?.kill()
        let before = ledgerBytes(dir, "bob")
        let raised = try await fedtop(["hospital", "--name", "bob", "--listen", "127.0.0.1:0", "--insecure", "--dataset", "wdbc",
                                            "--shard", "2/3", "--ledger", dir + "/ledger-bob", "--epsilon-budget", "60"])
        #expect(raised.status == 2, "\(raised.stderr)")
        #expect(raised.stderr.contains("--raise-budget"), "\(raised.stderr)")
        #expect(ledgerBytes(dir, "bob") == before)
        bob = try await hospital("bob", dir, shard: 2, ["--epsilon-budget", "60", "--raise-budget", "ethics board approval 2026-12"])
        #expect(bob?.log.contains("of 60.0 spent") == true, "\(bob?.log ?? "")")
        bob?.kill()
        let seal = try LedgerSeal.loadOrCreate(directory: dir + "/ledger-bob.seal", name: "bob")
        let contents = try PrivacyLedger.read(path: dir + "/ledger-bob/bob.ledger", seal: seal)
        #expect(contents.budget?.epsilon == 60)
        let text = String(decoding: ledgerBytes(dir, "bob"), as: UTF8.self)
        #expect(text.contains("ethics board approval 2026-12"))
    }

    @Test("a start refused after the ledger was opened (its port in use) writes no lowered budget: the ledger is byte-identical")
    func refusedStartKeepsBudget() async throws {
        let dir = scratchDirectory("policy-held")
        var dave: HospitalProcess? = try await hospital("dave", dir, shard: 1, ["--epsilon-budget", "50"])
        dave?.kill()
        dave = nil
        let before = ledgerBytes(dir, "dave")
        let busy = try await hospital("erin", dir, shard: 2, [])
        defer { busy.kill() }
        let clash = try await fedtop(["hospital", "--name", "dave", "--listen", "127.0.0.1:\(busy.port)", "--insecure", "--dataset", "wdbc",
                                      "--shard", "1/3", "--ledger", dir + "/ledger-dave", "--epsilon-budget", "1"])
        #expect(clash.status != 0, "\(clash.stderr)")
        #expect(clash.stderr.contains("--listen"), "\(clash.stderr)")
        #expect(ledgerBytes(dir, "dave") == before)
        let bad = try await fedtop(["hospital", "--name", "dave", "--listen", "127.0.0.1:0", "--insecure", "--dataset", "wdbc",
                                    "--shard", "1/3", "--ledger", dir + "/ledger-dave", "--evaluations-per-round", "some"])
        #expect(bad.status == 2 && bad.stderr.contains("--evaluations-per-round 'some'"), "\(bad.stderr)")
        dave = try await hospital("dave", dir, shard: 1, ["--evaluations-per-round", "any", "--min-evaluation-records", "5"])
        #expect(dave?.log.contains("of 50.0 spent") == true, "\(dave?.log ?? "")")
        #expect(dave?.log.contains("metrics on ≥ 5 records") == true && dave?.log.contains("evaluation(s)/round") == false,
                "\(dave?.log ?? "")")
        dave?.kill()
    }

    @Test("a deleted ledger is refused at start unless --new-ledger; an edited one is refused naming the line")
    func tamperedLedgerRefused() async throws {
        let dir = scratchDirectory("policy-tamper")
        var carol: HospitalProcess? = try await hospital("carol", dir, shard: 3, ["--epsilon-budget", "5"])
        carol?.kill()
        carol = nil
        let path = dir + "/ledger-carol/carol.ledger"
        let original = try String(contentsOfFile: path, encoding: .utf8)
        // The budget raised by hand, the MAC left as it was.
        try original.replacingOccurrences(of: "budget 5.0", with: "budget 50.0").write(toFile: path, atomically: true, encoding: .utf8)
        let args = ["hospital", "--name", "carol", "--listen", "127.0.0.1:0", "--insecure", "--dataset", "wdbc", "--shard", "3/3",
                    "--ledger", dir + "/ledger-carol", "--epsilon-budget", "5"]
        let edited = try await fedtop(args)
        #expect(edited.status == 2 && edited.stderr.contains("line"), "\(edited.stderr)")
        try FileManager.default.removeItem(atPath: path)
        let deleted = try await fedtop(args)
        #expect(deleted.status == 2 && deleted.stderr.contains("--new-ledger"), "\(deleted.stderr)")
        carol = try await hospital("carol", dir, shard: 3, ["--epsilon-budget", "5", "--new-ledger"])
        #expect(carol?.isRunning == true)
        carol?.kill()
    }

    @Test("a refused start creates nothing: no ./hospital-NAME, no seal; an unknown --simulate key exits 2; malicious modes are accepted")
    func refusedStartCreatesNothing() async throws {
        let cwd = scratchDirectory("policy-cwd")
        let noCerts = try await fedtop(["hospital", "--name", "zed", "--listen", "127.0.0.1:0"], directory: cwd)
        #expect(noCerts.status == 2, "\(noCerts.stderr)")
        let unknown = try await fedtop(["hospital", "--name", "zed", "--listen", "127.0.0.1:0", "--insecure", "--simulate", "bogus=1"],
                                            directory: cwd)
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown key 'bogus'"), "\(unknown.stderr)")
        let badPolicy = try await fedtop(["hospital", "--name", "zed", "--listen", "127.0.0.1:0", "--insecure", "--min-noise", "-1"],
                                              directory: cwd)
        #expect(badPolicy.status == 2, "\(badPolicy.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cwd).isEmpty)
        let policyFile = cwd + "/../policy-\(UUID().uuidString.prefix(6)).toml"
        try "dp-sgd = \"required\"\nmin-noise-multiplier = 0.8\nmax-round-epsilon = 0.5\nbogus = 1\n"
            .write(toFile: policyFile, atomically: true, encoding: .utf8)
        let badFile = try await fedtop(["hospital", "--name", "zed", "--listen", "127.0.0.1:0", "--insecure", "--policy", policyFile],
                                            directory: cwd)
        #expect(badFile.status == 2 && badFile.stderr.contains("unknown key 'bogus'"), "\(badFile.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cwd).isEmpty)
        let dir = scratchDirectory("policy-malice")
        let mallory = try await hospital("mallory", dir, shard: 1, ["--simulate", "malicious=counts"])
        #expect(mallory.log.contains("SIMULATED MALICIOUS"), "\(mallory.log)")
        mallory.kill()
    }

    @Test("a remote hospital forging 2^63 − 1 records or NaN updates (--simulate malicious=…) never takes the run down: its updates are refused, the run finishes")
    func remoteForgeriesRefused() async throws {
        let dir = scratchDirectory("policy-forge")
        let honest = [try await hospital("h1", dir, shard: 1, ["--epsilon-budget", "50"]),
                      try await hospital("h2", dir, shard: 2, ["--epsilon-budget", "50"])]
        let mallory = try await hospital("mallory", dir, shard: 3, ["--epsilon-budget", "50", "--simulate", "malicious=nan"])
        defer { for h in honest + [mallory] { h.kill() } }
        let attach = (honest + [mallory]).flatMap { ["--hospital", "grpc://127.0.0.1:\($0.port)"] }
        let run = try await fedtop(["run", "--headless", "--insecure", "--rounds", "2", "--epsilon", "8", "--quorum", "2",
                                         "--out", dir + "/run"] + attach)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("round 2/2"), "\(run.stdout)")
        let metrics = try String(contentsOfFile: dir + "/run/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 3 && !metrics.joined().contains("nan"), "\(metrics)")
        let events = try String(contentsOfFile: dir + "/run/events.jsonl", encoding: .utf8)
        #expect(events.contains("\"updateRejected\"") || events.contains("\"hospitalDropped\""))
    }
}
