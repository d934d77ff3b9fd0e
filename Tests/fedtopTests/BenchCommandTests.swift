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
        #expect(abs(slowdown - plain / dp) < 0.01 * slowdown + 0.002)
        #expect(object["target_dpsgd_samples_per_s"] as? Int == 8000)
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
    }
}
