import ArgumentParser
import Benchmarks
import Foundation

/// `fedtop bench dropout`: federated dropout's bytes, time and accuracy against the full model, each
/// kept share a fresh federation from the same seed, in one run (``DropoutBenchmark``).
struct BenchDropout: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dropout",
        abstract: "Federated dropout against the full model: bytes per round, round time and accuracy at each kept share.")

    @Option(help: "Kept shares of each hidden layer's units, comma-separated (1: the full model).") var keeps = "1,0.75,0.5"
    @Option(help: "The data (as fedtop run --dataset).") var dataset = "lesions"
    @Option(help: "The model (default: the data's, as fedtop run).") var model: String?
    @Option(help: "Local hospitals.") var hospitals = 3
    @Option(help: "Rounds of each federation.") var rounds = 30
    @Option(help: "Sample-level ε of every hospital (inf: no DP).") var epsilon = "3"
    @Option(help: "Seed of every federation.") var seed: UInt64 = 1

    func validate() throws {
        guard rounds >= 3 else { throw ValidationError("--rounds must be at least 3, got \(rounds)") }
        guard hospitals >= 2 else { throw ValidationError("--hospitals must be at least 2, got \(hospitals)") }
        _ = try shares()
        _ = try budget()
    }

    func shares() throws -> [Double] {
        let values = keeps.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0.map { $0 > 0 && $0 <= 1 } ?? false }) else {
            throw ValidationError("--keeps: expected shares in (0, 1], comma-separated, got '\(keeps)'")
        }
        return values.map { $0! }
    }

    func budget() throws -> Double? {
        if epsilon == "inf" { return nil }
        guard let e = Double(epsilon), e > 0, e.isFinite else { throw ValidationError("--epsilon must be > 0 or inf, got '\(epsilon)'") }
        return e
    }

    func run() throws {
        let base = BenchFederationSpec(dataset: dataset, hospitals: hospitals, rounds: rounds, model: model, epsilon: try budget(),
                                       seed: seed, out: "")
        let bench = DropoutBenchmark(keeps: try shares(), base: base)
        let rows = try bench.run(factory: FedtopBenchFederations()) { line in
            FileHandle.standardError.write(Data("fedtop bench dropout: \(line)\n".utf8))
        }
        let privacy = try budget().map { "DP-SGD ε = \(Self.number($0))" } ?? "no DP"
        print("fedtop bench dropout: \(dataset)\(model.map { " " + $0 } ?? ""), \(hospitals) local hospitals, \(rounds) rounds, "
              + "\(privacy), seed \(seed)")
        print("each share a fresh federation from the same seed; times are medians over rounds 2…; bytes are the model exchange "
              + "(4 per parameter, sent + received, all hospitals), before transport framing")
        let header = [pad("kept", 6), pad("parameters", 18, right: true), pad("bytes/round", 14, right: true),
                      pad("vs full", 9, right: true), pad("round", 11, right: true), pad("training", 11, right: true),
                      pad("accuracy", 10, right: true), pad("ε", 7, right: true)]
        print(header.joined())
        let full = rows.first { $0.keep == 1 }
        for r in rows {
            let share = r.fullParameters > 0 ? Double(r.parameters) / Double(r.fullParameters) : 1
            print([pad(Self.number(r.keep), 6),
                   pad("\(r.parameters) (\(String(format: "%.0f", share * 100)) %)", 18, right: true),
                   pad(String(format: "%.1f kB", r.bytesPerRound / 1000), 14, right: true),
                   pad(full.map { String(format: "%.2f×", r.bytesPerRound / $0.bytesPerRound) } ?? "—", 9, right: true),
                   pad(String(format: "%.0f ms", r.timings.period * 1000), 11, right: true),
                   pad(String(format: "%.0f ms", r.timings.training * 1000), 11, right: true),
                   pad(String(format: "%.3f", r.accuracy), 10, right: true),
                   pad(r.epsilon.map { String(format: "%.2f", $0) } ?? "∞", 7, right: true)].joined())
        }
    }

    static func number(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
}
