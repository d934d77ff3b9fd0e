import Foundation
import Testing

/// `fedtop audit`: a small sweep end to end, the audit of a finished run, and bad arguments.
@Suite("fedtop audit", .serialized)
struct AuditCommandTests {
    static func scratch(_ name: String) -> String {
        NSTemporaryDirectory() + "fedtop-audit-test-\(name)-\(UInt32.random(in: .min ... .max))"
    }

    @Test("a small sweep writes report.html (inline SVG, no script), report.md and a CSV per table and chart, with progress")
    func sweep() async throws {
        let out = Self.scratch("sweep")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try await CommandRunner.runOffPool([
            "audit", "sweep", "--sweeps", "frontier,poisoning,strength", "--epsilons", "1,inf", "--malicious", "0,1",
            "--defences", "fedavg,median", "--attacks", "flip,backdoor", "--perturbations", "0,0.3", "--hospitals", "3",
            "--rounds", "3", "--shadows", "2", "--targets", "100", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("[1/"), "progress: \(r.stderr)")
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && !html.lowercased().contains("<script") && !html.contains("https://"))
        #expect(html.contains("Privacy–utility frontier") && html.contains("Poisoning: label flipping") && html.contains("Poisoning: backdoor"))
        let md = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        #expect(md.contains("frontier.csv"))
        for csv in ["frontier", "frontier-roc", "frontier-chart", "poisoning-flip", "poisoning-backdoor", "poisoning-backdoor-success", "strength"] {
            #expect(FileManager.default.fileExists(atPath: "\(out)/\(csv).csv"), "\(csv).csv")
        }
        // The frontier's CSV has a row per ε, with AUCs in [0, 1].
        let rows = try String(contentsOfFile: out + "/frontier.csv", encoding: .utf8).split(whereSeparator: \.isNewline)
        #expect(rows.count == 3)
        for row in rows.dropFirst() {
            let cells = row.split(separator: ",", omittingEmptySubsequences: false)
            let auc = try #require(Double(cells[4]))
            #expect(auc >= 0 && auc <= 1)
        }
    }

    @Test("the robustness sweep: a row per (DP ε, training, attack), mean ± sd over the seeds; adversarial training raises PGD accuracy")
    func robustness() async throws {
        let out = Self.scratch("robustness")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try await CommandRunner.runOffPool([
            "audit", "sweep", "--sweeps", "robustness", "--dataset", "wdbc", "--robustness-epsilons", "inf", "--adversarial", "pgd:0.5:5",
            "--adversarial-ratio", "1", "--seeds", "2", "--perturbations", "0,0.5", "--hospitals", "3", "--rounds", "5", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("[4/4]"), "2 trainings × 2 seeds: \(r.stderr)")
        let rows = try String(contentsOfFile: out + "/robustness.csv", encoding: .utf8).split(whereSeparator: \.isNewline).map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        #expect(rows.first == ["DP", "training", "seeds", "clean accuracy", "attack", "L∞ 0.5"])
        #expect(rows.count == 5, "clean and pgd:0.5:5, each under FGSM and PGD: \(rows)")
        func mean(_ cell: String) throws -> Double { try #require(Double(cell.split(separator: " ").first ?? "")) }
        let clean = try #require(rows.first { $0[1] == "clean" && $0[4] == "pgd-10" })
        let robust = try #require(rows.first { $0[1] == "pgd:0.5:5 (100 %)" && $0[4] == "pgd-10" })
        #expect(clean[2] == "2" && clean[5].contains(" ± "))
        #expect(try mean(robust[5]) > mean(clean[5]), "PGD accuracy at 0.5: adversarially trained \(robust[5]) vs clean \(clean[5])")
        #expect(try String(contentsOfFile: out + "/report.md", encoding: .utf8).contains("Robustness: adversarial training"))
    }

    @Test("the dropout sweep: a row per (DP ε, kept share), mean ± sd over the seeds; half the units send about half the bytes")
    func dropout() async throws {
        let out = Self.scratch("dropout")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try await CommandRunner.runOffPool([
            "audit", "sweep", "--sweeps", "dropout", "--dataset", "wdbc", "--dropout-epsilons", "4,inf", "--dropout-keeps", "1,0.5",
            "--seeds", "2", "--hospitals", "3", "--rounds", "4", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("[8/8]"), "2 ε × 2 shares × 2 seeds: \(r.stderr)")
        let rows = try String(contentsOfFile: out + "/dropout.csv", encoding: .utf8).split(whereSeparator: \.isNewline).map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        #expect(rows.first == ["DP", "kept share of units", "seeds", "parameters sent (share)", "accuracy", "model bytes per round",
                               "bytes vs full model"])
        #expect(rows.count == 5, "\(rows)")
        let half = try #require(rows.first { $0[0] == "ε=4" && $0[1] == "0.5" })
        #expect(half[2] == "2" && half[4].contains(" ± "))
        // The MLP's hidden layer halves; its input and output layers keep their inputs and outputs, so the share is ≈ 0.5.
        let share = try #require(Double(half[3]))
        #expect(share > 0.45 && share < 0.55)
        #expect(half[6] == String(format: "%.2f×", share))
        #expect(rows.first { $0[0] == "ε=∞" && $0[1] == "1" }?[6] == "1.00×")
        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        #expect(report.contains("Federated dropout: accuracy and bytes per round"))
        let bad = try CommandRunner.run(["audit", "sweep", "--sweeps", "dropout", "--dropout-keeps", "0"])
        #expect(bad.status == 2 && bad.stderr.contains("--dropout-keeps"))
    }

    @Test("the exhaustion sweep: every crafted request a defence is meant to stop is refused; the control and the sponge train")
    func exhaustion() async throws {
        let out = Self.scratch("exhaustion")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try await CommandRunner.runOffPool(["audit", "sweep", "--sweeps", "exhaustion", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        // RFC 4180 cells: quoted when they hold a comma.
        func cells(_ line: Substring) -> [String] {
            var out: [String] = [], cell = "", quoted = false
            var chars = Array(line)[...]
            while let c = chars.popFirst() {
                if c == "\"" { if quoted, chars.first == "\"" { cell.append(c); chars.removeFirst() } else { quoted.toggle() } }
                else if c == ",", !quoted { out.append(cell); cell = "" }
                else { cell.append(c) }
            }
            return out + [cell]
        }
        let rows = try String(contentsOfFile: out + "/hospital-exhaustion.csv", encoding: .utf8).split(whereSeparator: \.isNewline).map(cells)
        let byName = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[0], $0) })
        #expect(byName.count == 9, "\(rows)")
        for name in ["oversized model", "longer than announced", "NaN model", "huge dropout mask", "unsigned", "most local epochs"] {
            let row = try #require(byName[name], "\(rows)")
            #expect(row[2].hasPrefix("refused"), "\(name): \(row)")
            #expect(row.last?.hasPrefix("held") == true, "\(name): \(row)")
        }
        // What the epoch limit saves: the unlimited hospital trains the same request.
        #expect(byName["most local epochs"]?[5] == "trained")
        #expect(byName["unsigned"]?[2] == "refused (permissionDenied)")
        for name in ["control", "subnormal model", "one-record batches"] { #expect(byName[name]?[2] == "trained", "\(name)") }
        #expect(try String(contentsOfFile: out + "/report.md", encoding: .utf8).contains("Resource exhaustion against a hospital"))
    }

    @Test("audit --run audits a finished run's last checkpoint")
    func finishedRun() async throws {
        let dir = Self.scratch("run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try await CommandRunner.runOffPool(["--headless", "--dataset", "digits", "--hospitals", "3", "--rounds", "2",
                                                      "--dp", "off", "--out", dir])
        #expect(run.status == 0, "\(run.stderr)")
        let r = try await CommandRunner.runOffPool(["audit", "--run", dir, "--shadows", "2", "--targets", "60", "--perturbations", "0,0.2"])
        #expect(r.status == 0, "\(r.stderr)")
        let csv = try String(contentsOfFile: dir + "/audit/membership.csv", encoding: .utf8)
        #expect(csv.contains("loss-threshold") && csv.contains("lira-offline"))
        #expect(FileManager.default.fileExists(atPath: dir + "/audit/evasion.csv"))
        #expect(FileManager.default.fileExists(atPath: dir + "/audit/report.html"))
    }

    @Test("bad arguments: one line naming the option, exit code 2")
    func badArguments() throws {
        for args in [["audit"], ["audit", "sweep", "--epsilons", "1,abc"], ["audit", "sweep", "--malicious", "7"],
                     ["audit", "sweep", "--defences", "fedavg,bogus"], ["audit", "sweep", "--sweeps", "frontier,nope"],
                     ["audit", "sweep", "--adversarial", "pgd:0.1"], ["audit", "sweep", "--seeds", "0"],
                     ["audit", "sweep", "--robustness-epsilons", "0"],
                     ["audit", "--run", "/nonexistent/run", "--shadows", "1"]] {
            let r = try CommandRunner.run(args)
            #expect(r.status == 2, "\(args): \(r.status) \(r.stderr)")
        }
        let missing = try CommandRunner.run(["audit", "--run", "/nonexistent/run"])
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent/run"))
    }
}
