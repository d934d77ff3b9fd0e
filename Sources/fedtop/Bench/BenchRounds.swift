import ArgumentParser
import Benchmarks
import Foundation

/// `fedtop bench rounds`: what the engine costs around the work it coordinates — its overhead per
/// round with 10 WDBC hospitals, and a federation of 1,000 lesions hospitals, 10 per round, beside
/// one of 10 (``RoundsBenchmark``). Each scenario runs in a child process of its own.
struct BenchRounds: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rounds",
        abstract: "Engine overhead per round (10 WDBC hospitals) and scale (1,000 lesions hospitals, 10 per round).")

    @Option(help: "Rounds of the overhead scenario.") var rounds = 30
    @Option(help: "Rounds of each scale scenario.") var scaleRounds = 8
    @Option(help: "Local epochs per round in the overhead scenario.") var localEpochs = 1
    @Option(help: "Training records per hospital in the scale scenarios (lesions images).") var recordsPerHospital = 16
    @Option(help: "Hospitals in the large federation.") var largeFederation = 1000
    @Option(help: .hidden) var scenario: String?

    func validate() throws {
        guard rounds >= 3, scaleRounds >= 3 else { throw ValidationError("--rounds and --scale-rounds must be at least 3") }
        guard localEpochs > 0, recordsPerHospital >= 4, largeFederation >= 10 else {
            throw ValidationError("--local-epochs must be positive, --records-per-hospital at least 4, --large-federation at least 10")
        }
    }

    func run() throws {
        let bench = RoundsBenchmark(rounds: rounds, scaleRounds: scaleRounds, localEpochs: localEpochs,
                                    recordsPerHospital: recordsPerHospital, largeFederation: largeFederation)
        if let scenario {
            guard let chosen = RoundsBenchmark.Scenario(rawValue: scenario) else { throw ValidationError("unknown scenario '\(scenario)'") }
            return FileHandle.standardOutput.write(try bench.runScenario(chosen, factory: FedtopBenchFederations()).encoded())
        }
        print("fedtop bench rounds: each scenario in its own process; times are medians over rounds 2…")
        let overhead = try child(.overhead).timings
        print("\n10 local hospitals, WDBC MLP, sample-level DP-SGD, \(localEpochs) local epoch(s), \(rounds) rounds, "
              + "checkpoints + ledgers fsynced")
        print(pad("round period", 30) + ms(overhead.period))
        print(pad("  hospital training (wall)", 30) + ms(overhead.training))
        print(pad("  aggregation arithmetic", 30) + ms(overhead.aggregation))
        print(pad("  evaluation", 30) + ms(overhead.evaluation))
        print(pad("  other engine work", 30) + ms(overhead.other))
        print(pad("checkpoint write (background)", 30) + ms(overhead.checkpoint) + "  signed, 6 fsyncs, beside the next round")
        print(pad("overhead outside training+agg", 30) + ms(overhead.overhead)
              + String(format: "  = %.1f %% of the round (bound 5 %%)", overhead.overhead / overhead.period * 100))

        let small = try child(.scaleSmall), large = try child(.scaleLarge)
        print("\nScale: lesions CNN, \(recordsPerHospital) training records per hospital, 10 hospitals per round, "
              + "\(scaleRounds) rounds")
        print(pad("federation", 30) + pad("round (median)", 16, right: true) + pad("peak RSS", 12, right: true)
              + pad("setup", 10, right: true))
        for (label, r) in [("10 hospitals", small), ("\(largeFederation) hospitals", large)] {
            print(pad(label, 30) + pad(ms(r.timings.period), 16, right: true)
                  + pad(String(format: "%.0f MiB", Double(r.peakBytes) / 1_048_576), 12, right: true)
                  + pad(String(format: "%.1f s", r.setupSeconds), 10, right: true))
        }
        print(String(format: "round time ratio %.2f× (bound 1.5×); peak memory of the large federation %.0f MiB (bound 1024 MiB)",
                     large.timings.period / small.timings.period, Double(large.peakBytes) / 1_048_576))
    }

    private func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }

    /// Runs this command again as a child for one scenario; returns what it measured.
    private func child(_ scenario: RoundsBenchmark.Scenario) throws -> ScenarioMeasurement {
        try ScenarioMeasurement.child(executable: Bench.executable, arguments: [
            "bench", "rounds", "--scenario", scenario.rawValue, "--rounds", String(rounds), "--scale-rounds", String(scaleRounds),
            "--local-epochs", String(localEpochs), "--records-per-hospital", String(recordsPerHospital),
            "--large-federation", String(largeFederation)]) { "bench rounds: scenario \(scenario.rawValue) failed (exit status \($0))" }
    }
}
