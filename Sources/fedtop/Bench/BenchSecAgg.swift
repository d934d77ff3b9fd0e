import ArgumentParser
import Benchmarks
import Foundation

/// `fedtop bench secagg`: what secure aggregation costs.
///
/// - Rounds: the same federation run plain and with `--secure-aggregation`, side by side
///   (``SecAggBenchmark``): 10 hospitals (bound: a secure round ≤ 1.5× the plain one) and 100 hospitals
///   (SecAgg+; bound ≤ 3×), each federation in a child process of its own.
/// - Protocol: one session of the bare protocol for n = 10 … 200 hospitals (``ProtocolCost``): each
///   phase's time per hospital and at the aggregator, and the bytes each hospital sends and receives.
struct BenchSecAgg: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secagg",
        abstract: "Secure vs plain rounds (10 and 100 hospitals, 105,959 parameters) and the protocol's per-phase cost and bytes by n.")

    @Option(help: "Rounds of each federation.") var rounds = 6
    @Option(help: "Training records per hospital (lesions images, before the 20 % test split).") var recordsPerHospital = 40
    @Option(help: "Hospitals of the large federation.") var largeFederation = 100
    @Option(help: "Federation sizes of the protocol scaling table (comma-separated).") var sizes = "10,25,50,100,200"
    @Option(help: "Parameters of the protocol scaling table.") var parameters = 100_000
    @Option(help: .hidden) var scenario: String?

    func validate() throws {
        guard rounds >= 3 else { throw ValidationError("--rounds must be at least 3") }
        guard recordsPerHospital >= 8, largeFederation >= 10, parameters >= 1 else {
            throw ValidationError("--records-per-hospital must be at least 8, --large-federation at least 10, --parameters at least 1")
        }
        guard !parsedSizes.isEmpty, parsedSizes.allSatisfy({ $0 >= 3 }) else {
            throw ValidationError("--sizes takes comma-separated federation sizes of at least 3, got '\(sizes)'")
        }
    }

    var parsedSizes: [Int] { sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        let bench = SecAggBenchmark(rounds: rounds, recordsPerHospital: recordsPerHospital)
        if let scenario {
            guard let chosen = SecAggBenchmark.Scenario(name: scenario) else { throw ValidationError("unknown scenario '\(scenario)'") }
            return FileHandle.standardOutput.write(try bench.runScenario(chosen, factory: FedtopBenchFederations()).encoded())
        }
        print("fedtop bench secagg: lesions CNN (105,959 parameters), sample-level DP-SGD, every hospital every round, "
              + "\(recordsPerHospital) records per hospital; medians over rounds 2…\(rounds)")
        print(pad("federation", 24) + pad("plain round", 14, right: true) + pad("secure round", 14, right: true)
              + pad("ratio", 9, right: true) + pad("bound", 8, right: true) + "  secure phases (keys+training | shares | masked | unmask)")
        for (n, bound) in [(10, 1.5), (largeFederation, 3.0)] {
            let plain = try child(.init(secure: false, hospitals: n)), secure = try child(.init(secure: true, hospitals: n))
            let ratio = secure.timings.period / plain.timings.period
            let phases = ["advertise", "share", "masked", "unmask"].map { ms(secure.securePhases[$0]) }.joined(separator: " | ")
            print(pad("\(n) hospitals", 24) + pad(ms(plain.timings.period), 14, right: true) + pad(ms(secure.timings.period), 14, right: true)
                  + pad(String(format: "%.2f×", ratio), 9, right: true) + pad(String(format: "≤ %.1f×", bound), 8, right: true)
                  + "  " + phases)
        }
        print("\nProtocol alone, \(parameters) parameters, one thread (per hospital = the mean over hospitals; bytes per hospital sent / received)")
        print(pad("n", 6) + pad("graph", 16) + pad("t", 5, right: true) + pad("keys", 10, right: true) + pad("shares", 10, right: true)
              + pad("masked", 10, right: true) + pad("unmask", 10, right: true) + pad("aggregator", 12, right: true)
              + pad("sent", 12, right: true) + pad("received", 12, right: true))
        for n in parsedSizes {
            let r = try ProtocolCost.measure(hospitals: n, parameters: parameters)
            print(pad("\(n)", 6) + pad(r.graph, 16) + pad("\(r.threshold)", 5, right: true)
                  + r.perHospital.map { pad(ms($0), 10, right: true) }.joined()
                  + pad(ms(r.aggregator), 12, right: true) + pad(bytes(r.sent), 12, right: true) + pad(bytes(r.received), 12, right: true))
        }
    }

    private func ms(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "—" }
        return String(format: "%.1f ms", seconds * 1000)
    }

    private func bytes(_ b: Double) -> String {
        b >= 1_048_576 ? String(format: "%.2f MiB", b / 1_048_576) : String(format: "%.1f KiB", b / 1024)
    }

    /// Runs this command again as a child for one federation; returns what it measured.
    private func child(_ scenario: SecAggBenchmark.Scenario) throws -> ScenarioMeasurement {
        try ScenarioMeasurement.child(executable: Bench.executable, arguments: [
            "bench", "secagg", "--scenario", scenario.name, "--rounds", String(rounds), "--records-per-hospital", String(recordsPerHospital),
            "--large-federation", String(largeFederation)]) { "bench secagg: scenario \(scenario.name) failed (exit status \($0))" }
    }
}
