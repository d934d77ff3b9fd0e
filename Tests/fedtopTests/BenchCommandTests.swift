import Foundation
import Testing

@Suite("fedtop bench")
struct BenchCommandTests {
    @Test("bench tensor prints every row with fedtop beside OpenBLAS and a positive ratio")
    func tensor() throws {
        let r = try CommandRunner.run(["bench", "tensor", "--seconds", "0.02"])
        #expect(r.status == 0, "\(r.stderr)")
        for label in ["GEMM 256³", "GEMM 32×6272×144", "Conv2d 16→32 3×3 on 14×14, forward", "axpy"] {
            let line = r.stdout.split(separator: "\n").first { $0.contains(label) }
            #expect(line != nil, "missing row \(label)")
            let numbers = line.map { $0.split(separator: " ").compactMap { Double($0) } } ?? []
            #expect(numbers.count >= 3 && numbers.suffix(3).allSatisfy { $0 > 0 }, "row \(label): \(line ?? "")")
        }
    }

    @Test("bench dpsgd --json reports both throughputs, their ratio and the targets")
    func dpsgdJSON() throws {
        let r = try CommandRunner.run(["bench", "dpsgd", "--json", "--seconds", "0.05", "--warmup", "1", "--batch-size", "16"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let plain = try #require(object["nonprivate_samples_per_s"] as? Double)
        let dp = try #require(object["dpsgd_samples_per_s"] as? Double)
        let slowdown = try #require(object["slowdown"] as? Double)
        #expect(plain > 0 && dp > 0)
        // The throughputs are printed rounded to whole samples/s and the slowdown to 0.001: on a loaded machine
        // (a few dozen samples/s) the rounding alone moves plain/dp by more than 1 %.
        let rounding = (plain / dp) * (0.5 / plain + 0.5 / dp) + 0.0005
        #expect(abs(slowdown - plain / dp) <= rounding * 1.01 + 0.002)
        #expect(object["target_dpsgd_samples_per_s"] as? Int == 8000)
    }

    @Test("bench dropout prints a row per kept share beside the full model: fewer parameters, fewer bytes, the same ε")
    func dropout() throws {
        let r = try CommandRunner.run(["bench", "dropout", "--dataset", "wdbc", "--model", "mlp", "--rounds", "3", "--keeps", "1,0.75,0.5"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").filter { $0.hasPrefix("1 ") || $0.hasPrefix("0.75") || $0.hasPrefix("0.5") }
        #expect(rows.count == 3, "\(r.stdout)")
        #expect(rows.first?.contains("1.00×") == true && rows.last?.contains("0.50×") == true, "\(r.stdout)")
        #expect(rows.allSatisfy { $0.hasSuffix("3.00") }, "the same ε for every share: \(r.stdout)")
        let bad = try CommandRunner.run(["bench", "dropout", "--keeps", "0,1"])
        #expect(bad.status == 2 && bad.stderr.contains("--keeps"))
    }

    @Test("bad bench arguments exit with status 2 and name the option")
    func badArguments() throws {
        let r = try CommandRunner.run(["bench", "dpsgd", "--batch-size", "0"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--batch-size"))
    }

    @Test("bench accountant reports a readout time under its 1 ms target")
    func accountant() throws {
        let r = try CommandRunner.run(["bench", "accountant", "--segments", "20"])
        #expect(r.status == 0, "\(r.stderr)")
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("ε readout") })
        let ms = try #require(line.split(separator: " ").compactMap { Double($0) }.first)
        #expect(ms > 0 && ms <= 1)
    }

    @Test("bench noise reports the keystream and both Gaussian sources")
    func noise() throws {
        let r = try CommandRunner.run(["bench", "noise", "--count", "20000"])
        #expect(r.status == 0, "\(r.stderr)")
        for label in ["ChaCha20 keystream", "Gaussian, ChaCha20 (secure)", "Gaussian, xoshiro (seeded)"] {
            let line = r.stdout.split(separator: "\n").first { $0.hasPrefix(label) }
            let value = line.flatMap { $0.split(separator: " ").compactMap { Double($0) }.last }
            #expect((value ?? 0) > 0, "\(label): \(line ?? "missing")")
        }
    }

    @Test("bench utility prints a row per dataset and ε with mean ± sd beside the anchor")
    func utility() throws {
        let r = try CommandRunner.run(["bench", "utility", "--datasets", "wdbc", "--epsilons", "0,2", "--seeds", "2", "--epochs", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").filter { $0.hasPrefix("wdbc") }
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0.contains("±") })
        #expect(rows[1].contains("0.932 ± 0.036"))  // the anchor for WDBC at ε = 2
        let bad = try CommandRunner.run(["bench", "utility", "--feature-clip", "0"])
        #expect(bad.status == 2 && bad.stderr.contains("--feature-clip"), "\(bad.stderr)")
    }

    /// A stand-in interpreter: a shell script that checks it was handed the recipe and the records and
    /// answers with fixed accuracies (the plumbing is under test here, not Opacus).
    private func fakePython(_ body: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-fake-python-\(UUID().uuidString)").path
        try Data(("#!/bin/sh\n" + body).utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o755)
        return path
    }

    @Test("--opacus runs the reference on the same records and prints its mean ± sd and the difference with its interval")
    func opacusReference() throws {
        // Checks: the script imports opacus, the CSV has 569 WDBC records of 30 features + label, ε and seeds passed through.
        let python = try fakePython(#"""
            grep -q "from opacus import PrivacyEngine" "$1" || exit 9
            [ "$(wc -l < "$2")" -eq 569 ] || exit 8
            [ "$(head -1 "$2" | tr ',' '\n' | wc -l)" -eq 31 ] || exit 7
            [ "$3" = "2.0" ] && [ "$4" = "3" ] || { echo "args $3 $4" >&2; exit 6; }
            echo "some chatter"
            echo "[0.90, 0.92, 0.94]"
            """#)
        defer { try? FileManager.default.removeItem(atPath: python) }
        let r = try CommandRunner.run(["bench", "utility", "--datasets", "wdbc", "--epsilons", "2", "--seeds", "3", "--epochs", "2",
                                       "--opacus", python])
        #expect(r.status == 0, "\(r.stderr)")
        let row = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("wdbc") })
        #expect(row.contains("0.920 ± 0.020"), "\(row)")   // the stand-in's mean and sample sd
        #expect(r.stdout.contains("Opacus here (centralised, 3 seeds)"))
        // fedtop's mean minus 0.920, and an interval around it.
        let numbers = row.split(whereSeparator: { " [],±".contains($0) }).compactMap { Double($0) }
        let ours = numbers[1], difference = numbers[numbers.count - 3], low = numbers[numbers.count - 2], high = numbers[numbers.count - 1]
        #expect(abs(difference - (ours - 0.92)) < 0.0011 && low < difference && difference < high, "\(row)")

        let failing = try fakePython("echo 'ModuleNotFoundError: No module named opacus' >&2\nexit 1\n")
        defer { try? FileManager.default.removeItem(atPath: failing) }
        let f = try CommandRunner.run(["bench", "utility", "--datasets", "wdbc", "--epsilons", "2", "--seeds", "2", "--epochs", "1",
                                       "--opacus", failing])
        #expect(f.status != 0 && f.stderr.contains(failing) && f.stderr.contains("No module named opacus"), "\(f.stderr)")
        let missing = try CommandRunner.run(["bench", "utility", "--datasets", "wdbc", "--epsilons", "2", "--seeds", "2", "--epochs", "1",
                                             "--opacus", "/nonexistent/python"])
        #expect(missing.status == 2 && missing.stderr.contains("/nonexistent/python"), "\(missing.stderr)")
    }
}
